"""Apply the stored HubSpot webhook events to the mirror (ingestion/sync/hubspot/events.py).

    python manage.py apply_hubspot_events [--limit N] [--dry-run] [--debug]

Ends with one line, `events: received=… applied=… deferred=… failed=…` (received: the pending
events this run took up), then ` ignored=N (another portal's)` when events of a portal the
mirror does not hold were set aside (recorded, never applied: sync/hubspot/portals.py).
Exit status as the sync commands' (the table and the one mapping of failures:
ingestion/management/outcomes.py): 0 done (deferred events, whose type another run was
syncing, wait for the next run); 1 fatal (HubSpot refused the token, or is unreachable, or the
database failed); 2 bad usage; 3 some events' records could not be read (they stay pending
and are retried); 75 locked: another applier is running; 77 no access: HubSpot answered 403
for a type the events name (the app lacks its scope); 130 interrupted (SIGINT/SIGTERM). On
any failure the events not applied stay pending.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from ingestion.base.results import SyncResult
from ingestion.management.base_hubspot_sync import check_database, logging_for, require_token
from ingestion.management.outcomes import (
    EXIT_PARTIAL,
    EXIT_USAGE,
    Wording,
    command_errors,
    signals_interrupt,
)
from ingestion.management.portal_option import PortalCommand
from ingestion.sync.hubspot.client import HubSpotClient
from ingestion.sync.hubspot.connection import client_from_settings
from ingestion.sync.hubspot.events import apply_events, summary_line

# How this command words its failures (outcomes.command_errors).
EVENTS = Wording(failed="applying webhook events failed", done="the events stay pending",
                 after="the events not applied stay pending",
                 stopped="the events not applied stay pending",
                 locked="another applier is running")


class Command(PortalCommand, BaseCommand):
    help = ("Apply the HubSpot webhook events received at /hubspot/webhooks/: re-read the "
            "records they name, refresh changed links, purge privacy deletions.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--limit", type=int, metavar="N",
                            help="take up at most N pending events, oldest first")
        parser.add_argument("--dry-run", action="store_true",
                            help="read HubSpot and report what would change; write nothing")
        parser.add_argument("--debug", action="store_true",
                            help="log each HTTP request and batch to stderr")

    def handle(self, *args, **opts) -> None:
        if opts["limit"] is not None and opts["limit"] < 1:
            raise CommandError(f"--limit must be at least 1, not {opts['limit']}",
                               returncode=EXIT_USAGE)
        with logging_for(opts):
            check_database()
            require_token()
            with client_from_settings() as client:
                result = apply(client, limit=opts["limit"], dry_run=opts["dry_run"])
        self.stdout.write(summary_line(result))
        details = result.details
        if details["deferred"]:
            self.stderr.write(self.style.WARNING(
                f"{details['deferred']} event(s) wait for another run of their type to end; "
                "the next run applies them"))
        if details["failed"]:
            raise CommandError(
                f"{details['failed']} event(s) could not be applied ({details['gave_up']} given "
                "up); see the `error` column of hubspot_webhook_event. The others are retried "
                "by the next run.",
                returncode=EXIT_PARTIAL)


def apply(client: HubSpotClient, **options) -> SyncResult:
    """apply_events, with its failures as one-line CommandErrors (outcomes.py)."""
    with signals_interrupt(), command_errors(
            "a type the events name", EVENTS,
            interrupted=lambda error: f"{error}; {EVENTS.after}"):
        return apply_events(client, **options)
