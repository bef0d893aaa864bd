"""Apply the stored HubSpot webhook events to the mirror (ingestion/sync/hubspot/events.py).

    python manage.py apply_hubspot_events [--limit N] [--dry-run] [--debug]

Ends with one line, `events: received=… applied=… deferred=… failed=…` (received: the pending
events this run took up), then ` ignored=N (another portal's)` when events of a portal the
mirror does not hold were set aside (recorded, never applied: sync/hubspot/portals.py).
Exit status as the sync commands': 0 done (deferred events, whose type another run was
syncing, wait for the next run); 1 fatal; 2 bad usage; 3 some events' records could not be
read (they stay pending and are retried); 75 another applier is running; 130 interrupted
(SIGINT/SIGTERM: the run is recorded as failed, the events not applied stay pending).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from ingestion.base.history import SyncAlreadyRunning
from ingestion.base.redact import redact
from ingestion.base.results import SyncResult
from ingestion.management.base_hubspot_sync import (
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_PARTIAL,
    EXIT_USAGE,
    ConfigurationError,
    SyncInterrupted,
    _signals_interrupt,
    check_database,
    logging_for,
    require_token,
)
from ingestion.sync.hubspot.client import HubSpotClient
from ingestion.sync.hubspot.connection import client_from_settings
from ingestion.sync.hubspot.errors import (
    HubSpotAuthError,
    HubSpotConnectError,
    HubSpotError,
    HubSpotRefreshTokenError,
)
from ingestion.sync.hubspot.events import apply_events, summary_line


class Command(BaseCommand):
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
    """apply_events, with known failures as one-line CommandErrors."""
    try:
        with _signals_interrupt():  # a SIGTERM fails the run (recorded), as it does a sync's
            return apply_events(client, **options)
    except SyncInterrupted as error:
        raise CommandError(f"{error}; the events not applied stay pending",
                           returncode=EXIT_INTERRUPTED) from None
    except SyncAlreadyRunning as error:
        raise CommandError(f"another applier is running: {error}",
                           returncode=EXIT_LOCKED) from None
    except (HubSpotRefreshTokenError, HubSpotConnectError) as error:
        raise ConfigurationError(redact(str(error))) from None
    except HubSpotAuthError as error:
        raise CommandError(redact(
            f"HubSpot refused the access token ({error}). Check HUBSPOT_ACCESS_TOKEN (or the "
            "OAuth settings) and the app's scopes; the events stay pending.")) from None
    except HubSpotError as error:
        raise CommandError(redact(f"applying webhook events failed: {error}; the events "
                                  "not applied stay pending")) from None
    except DatabaseError as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise CommandError(redact(f"the database failed: {first}")) from None
