"""Apply HubSpot's webhooks journal to the mirror (ingestion/sync/hubspot/changes.py).

    python manage.py sync_hubspot_changes [--watch SECONDS] [--dry-run] [--debug]

Reads the journal on from the stored offset, stores each batch's events with the new offset
in one transaction, and applies them like webhook events (re-read by id). `--watch SECONDS`
keeps reading every HUBSPOT_JOURNAL_POLL_SECONDS for that long (the schedule's run: every
minute, watching 50 s). Needs the journal set up (setup_hubspot_journal) and the app's client
credentials (HUBSPOT_CLIENT_ID, HUBSPOT_CLIENT_SECRET) besides the usual token.

Ends with one line, `changes: entries=… events=… applied=… deferred=… failed=… offset=…
lag=…s`. Exit status as the sync commands' (ingestion/management/outcomes.py): 0 done; 1
fatal (the journal or its token refused, HubSpot unreachable, a malformed journal reply: the
offset stays where it was); 2 bad usage or the journal not set up; 3 some events could not be
applied (they stay pending and are retried), or closing a gap left problems; 75 another
reader is running; 77 no access (a scope is missing); 130 interrupted.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from ingestion.base.results import SyncResult
from ingestion.management.base_hubspot_sync import (
    check_database,
    logging_for,
    require_app_credentials,
    require_token,
)
from ingestion.management.outcomes import (
    EXIT_PARTIAL,
    EXIT_USAGE,
    ConfigurationError,
    Interrupted,
    Wording,
    command_errors,
    signals_interrupt,
)
from ingestion.management.portal_option import PortalCommand
from ingestion.sync.hubspot.changes import JournalNotSetUp, Watch, sync_changes
from ingestion.sync.hubspot.connection import (
    JOURNAL_READ_SCOPES,
    client_from_settings,
    journal_client_from_settings,
)

CHANGES = Wording(failed="reading the webhooks journal failed",
                  done="the journal offset was not moved",
                  after="the journal offset stays at the last batch stored",
                  stopped="the journal offset stays at the last batch stored",
                  locked="another journal reader is running")
# What closes a gap in the journal (an offset older than it keeps): sync_hubspot_all's flags.
GAP_RUNS = ({}, {"links_only": True}, {"deletions": True})


class Command(PortalCommand, BaseCommand):
    help = ("Read HubSpot's webhooks journal from the stored offset and apply its changes "
            "(records, links, list memberships, deletions, merges) to the mirror.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--watch", type=int, default=0, metavar="SECONDS",
                            help="keep reading every HUBSPOT_JOURNAL_POLL_SECONDS for this long")
        parser.add_argument("--dry-run", action="store_true",
                            help="read the journal and report what it holds; write nothing")
        parser.add_argument("--debug", action="store_true",
                            help="log each HTTP request and batch to stderr")

    def handle(self, *args, **opts) -> None:
        if opts["watch"] < 0:
            raise CommandError(f"--watch must be 0 or more seconds, not {opts['watch']}",
                               returncode=EXIT_USAGE)
        with logging_for(opts):
            check_database()
            require_token()
            require_app_credentials()
            result = self._run(opts)
        self.stdout.write(summary_line(result))
        problems = result.details.get("gap_problems") or []
        if result.details.get("failed") or problems:
            raise CommandError(
                f"{result.details.get('failed', 0)} event(s) could not be applied (see the "
                "`error` column of hubspot_webhook_event; retried by the next run)"
                + (f"; closing the journal's gap left problems: {'; '.join(problems)}"
                   if problems else ""), returncode=EXIT_PARTIAL)

    def _run(self, opts: dict) -> SyncResult:
        watch = Watch(opts["watch"], settings.HUBSPOT_JOURNAL_POLL_SECONDS)
        with (signals_interrupt(),
              command_errors("the webhooks journal", CHANGES,
                             interrupted=lambda error: f"{error}; {CHANGES.after}"),
              client_from_settings() as crm,
              journal_client_from_settings(JOURNAL_READ_SCOPES) as journal):
            try:
                return sync_changes(crm, journal, dry_run=opts["dry_run"], watch=watch,
                                    close_gap=self._close_gap)
            except JournalNotSetUp as error:
                raise CommandError(str(error), returncode=EXIT_USAGE) from None

    def _close_gap(self) -> list[str]:
        """The incremental sync, link refresh and deletion check of every type. Types that
        fail are a problem to report (exit 3), not a reason to close the gap again a minute
        later: the schedule's own incremental, link and deletion runs retry them. A failure
        every type shares (HubSpot unreachable, the token refused, the database) stops the
        run with the offset unmoved."""
        problems = []
        for flags in GAP_RUNS:
            out = io.StringIO()
            try:
                call_command("sync_hubspot_all", stdout=out, stderr=out, **flags)
            except (ConfigurationError, Interrupted):
                raise  # every type would fail alike (token, HubSpot, database), or a signal
            except CommandError as error:  # some types failed: the schedule's runs retry them
                problems.append(f"sync_hubspot_all {_flag_text(flags)}: {error}")
            self.stdout.write(out.getvalue().rstrip())
        return problems


def _flag_text(flags: dict) -> str:
    return " ".join(f"--{name.replace('_', '-')}" for name in flags) or "(incremental)"


def summary_line(result: SyncResult) -> str:
    d = result.details
    lag = f" lag={d['lag_s']}s" if "lag_s" in d else " lag=none"
    line = (f"changes: entries={d.get('entries', 0)} events={d.get('events', 0)} "
            f"applied={d.get('applied', 0)} deferred={d.get('deferred', 0)} "
            f"failed={d.get('failed', 0)} offset={d.get('offset') or '(start)'}{lag}")
    if d.get("gaps"):
        line += f" gaps_closed={d['gaps']}"
    if d.get("unusable"):
        line += f" unusable={d['unusable']}"
    return line + (" (dry run: nothing was written)" if result.options.dry_run else "")
