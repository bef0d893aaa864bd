"""Set up HubSpot's webhooks journal for the mirror: the app's subscriptions for every mirrored
record type (ingestion/sync/hubspot/journal_setup.py), idempotently.

    python manage.py setup_hubspot_journal [--dry-run] [--debug]

Needs the app's client credentials (HUBSPOT_CLIENT_ID, HUBSPOT_CLIENT_SECRET: an app on
HubSpot's developer platform installed in the portal, with the journal's scopes;
docs/operations.md#webhooks-journal) besides the mirror's own credentials (which types and
which portal). Ends with one line,
`journal: subscriptions created=… updated=… removed=… unchanged=…`; --dry-run lists what it
would do and changes nothing. A second run makes one request to the journal (the listing).
Exit status as the other commands' (ingestion/management/outcomes.py): 0 done; 1 fatal (the
credentials refused, HubSpot unreachable, the database failed); 77 no access (the app lacks a
scope: the message names it); 130 interrupted. Subscriptions made before a failure are kept:
running it again carries on.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ingestion.management.base_hubspot_sync import (
    check_database,
    logging_for,
    require_app_credentials,
    require_token,
)
from ingestion.management.outcomes import Wording, command_errors, signals_interrupt
from ingestion.management.portal_option import PortalCommand
from ingestion.sync.hubspot.connection import (
    JOURNAL_SETUP_SCOPES,
    client_from_settings,
    journal_client_from_settings,
)
from ingestion.sync.hubspot.journal_setup import set_up

# How this command words its failures (outcomes.command_errors).
SETUP = Wording(failed="setting up the webhooks journal failed", done="nothing was changed",
                after="what was set up is kept; run it again to finish",
                stopped="what was set up is kept; run it again to finish")


class Command(PortalCommand, BaseCommand):
    help = ("Create or update the HubSpot webhooks journal subscriptions the mirror needs (every "
            "mirrored record type: objects, associations, privacy deletions; list "
            "memberships) and remove those it no longer needs. Idempotent.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true",
                            help="list the subscriptions that would be created, updated or "
                                 "removed; change nothing")
        parser.add_argument("--debug", action="store_true",
                            help="log each HTTP request to stderr")

    def handle(self, *args, **opts) -> None:
        dry_run = opts["dry_run"]
        with logging_for(opts):
            check_database()
            require_token()
            require_app_credentials()
            with (client_from_settings() as crm,
                  journal_client_from_settings(JOURNAL_SETUP_SCOPES) as journal,
                  signals_interrupt(), command_errors("the webhooks journal", SETUP)):
                done = set_up(journal, crm, dry_run=dry_run)
        if dry_run or opts["verbosity"] >= 2:
            for line in done.lines():
                self.stdout.write(f"would {line}" if dry_run else line)
        self.stdout.write(done.summary(dry_run))
