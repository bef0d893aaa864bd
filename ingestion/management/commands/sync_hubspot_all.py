import time

from django.core.management.base import CommandError

from ingestion.sync.hubspot.accounts import all_portals
from ingestion.sync.hubspot.connection import client_from_settings
from ingestion.sync.hubspot.engines.custom_objects import custom_object_engines
from ingestion.sync.hubspot.engines.registry import (
    DEFINITION_ENGINES,
    MARKETING_ENGINES,
    RECORD_ENGINES,
    SOURCE_ENGINES,
)
from ingestion.sync.hubspot.errors import (
    HubSpotConnectError,
    HubSpotError,
    HubSpotUnauthorizedError,
)

from .. import all_portals as portals_run
from .. import fan_out
from ..multi_sync import MultiSyncCommand, format_table
from ..outcomes import (
    EXIT_CODES,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Outcome,
    Status,
    Wording,
    command_error,
    worst,
)

# Definitions first (what the records refer to), then the CRM records, lists and forms
# (with their memberships and submissions), the marketing sources, then custom objects.
ENGINES = (*DEFINITION_ENGINES, *RECORD_ENGINES, *MARKETING_ENGINES, *SOURCE_ENGINES)


class Command(MultiSyncCommand):
    help = ("Mirror every HubSpot type in order (properties, owners, pipelines, companies, "
            "contacts, deals, tickets, products, line items, engagements, quotes, invoices and "
            "every other standard object, lists, forms, custom objects) with the flags of the "
            "single-type commands. One failing type does not stop the others; a type the app "
            "has no access "
            "to (HubSpot answers 403) is skipped with a warning; ends with a table. Exit 1 if "
            "any type failed, 3 if only some records did. "
            "--on-workers runs the types as Celery tasks, record types in parallel.")
    title = "every HubSpot type"
    planned = ENGINES
    discovered = "custom object types"

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--on-workers", action="store_true",
                            help="send each type to the Celery workers (definitions first, "
                                 "then every record type at once, then custom objects) and "
                                 "wait for them; needs a broker and running workers")
        parser.add_argument("--queue", metavar="NAME",
                            help="with --on-workers: the Celery queue to send to")
        parser.add_argument("--parallel", type=int, metavar="N",
                            help="run up to N types at once, each in its own process on this "
                                 "machine (definitions first, then record types, then custom "
                                 "objects); they share the rate budget (default 1: one after "
                                 "another in this process); with --all-portals: up to N "
                                 "portals at once, each in its own process")
        parser.add_argument("--all-portals", action="store_true",
                            help="run every portal (manage.py hubspot_portal list), one "
                                 "after another, or --parallel N / --on-workers; one table "
                                 "per portal and a total; the exit status is the worst "
                                 "portal's")

    def execute(self, *args, **options):
        if options.get("all_portals") and options.get("portal"):
            raise CommandError("--all-portals runs every portal, --portal one: choose one",
                               returncode=EXIT_USAGE)
        return super().execute(*args, **options)

    def handle(self, *args, **opts) -> None:
        if opts["parallel"] is not None and opts["on_workers"]:
            raise CommandError("--parallel runs processes on this machine, --on-workers "
                               "tasks on the Celery workers: choose one", returncode=EXIT_USAGE)
        if opts["parallel"] is not None and opts["parallel"] < 1:
            raise CommandError("--parallel must be at least 1", returncode=EXIT_USAGE)
        if opts["queue"] and not opts["on_workers"]:
            raise CommandError("--queue goes with --on-workers", returncode=EXIT_USAGE)
        if opts["all_portals"] and opts["plan"]:  # each portal's plan is its own command's
            raise CommandError("--plan goes with one portal: sync_hubspot_all --portal NAME "
                               "--plan", returncode=EXIT_USAGE)
        if opts["all_portals"]:
            return self._all_portals(opts)
        # --plan with --on-workers or --parallel: the same requests under the same shared
        # budget, whoever sends them: planned here, in this process (docs/operations.md).
        if opts["plan"] or (not opts["on_workers"] and (opts["parallel"] or 1) == 1):
            return super().handle(*args, **opts)
        if opts["with_history"]:
            # A worker's one-type command reads a bare name as its own type's (strict): give
            # the workers HUBSPOT_PROPERTY_HISTORY instead, which every process reads.
            raise CommandError("--with-history cannot be sent to other processes; set "
                               "HUBSPOT_PROPERTY_HISTORY for them instead",
                               returncode=EXIT_USAGE)
        with self.prepared(opts, self.title):
            hubspot_answers()
            if opts["on_workers"]:
                opts["queue"] = opts["queue"] or fan_out.default_queue()
                fan_out.check_workers(opts["queue"])
            try:
                for name, stage in fan_out.stages(self.job):
                    self._fan_out(name, stage, opts)
                    if _interrupted(self.outcomes):
                        break  # no later stage starts
            finally:
                self.stdout.write(format_table(self.outcomes))
        if _interrupted(self.outcomes):
            raise CommandError("interrupted: each type that was running saved its batch in "
                               "flight and stopped, the others did not start; no watermark "
                               "moved, the next run resumes", returncode=EXIT_INTERRUPTED)
        self.exit_for(self.outcomes)

    def _fan_out(self, name: str, commands: tuple[str, ...], opts: dict) -> None:
        """One stage on the workers or in local processes: the outcomes each command handed
        back (fan_out.Report), with their summary lines, and why each that failed did."""
        reports = fan_out.run_stage(name, commands, opts, opts["queue"], self.stderr.write) \
            if opts["on_workers"] else fan_out.run_stage_locally(commands, opts, opts["parallel"])
        for report in reports:
            for outcome in report.outcomes:
                if outcome.summary:
                    self.stdout.write(outcome.summary)
            if report.exit_code != 0:
                self.stderr.write(f"{report.command}: exit {report.exit_code}: {report.error}")
            # Every type that ended is reported, also those that ended after an interrupt.
            for outcome in report.rows():
                self.record(outcome)

    def _all_portals(self, opts: dict) -> None:
        """Every portal, each stopping alone (all_portals.py); exits with the worst's."""
        portals = all_portals()
        if not portals:
            raise CommandError("no portal to run: none is registered (manage.py hubspot_portal "
                               "add) and the HUBSPOT_* settings give no token",
                               returncode=EXIT_USAGE)
        if opts["on_workers"]:
            opts["queue"] = opts["queue"] or fan_out.default_queue()
            fan_out.check_workers(opts["queue"])
        started = time.monotonic()
        runs = portals_run.run_portals(portals, opts, self.stderr.write)
        for run in runs:
            self.stdout.write(portals_run.portal_table(run) + "\n")
        self.stdout.write(portals_run.total_table(runs, time.monotonic() - started))
        status = worst(run.status for run in runs)
        if status is not Status.SUCCESS:
            failing = [f"{run.portal.name} ({run.status})" for run in runs
                       if run.status is not Status.SUCCESS]
            raise CommandError(f"{len(failing)} of {len(runs)} portal(s) did not succeed: "
                               f"{', '.join(failing)}", returncode=EXIT_CODES[status])

    def steps(self, client):
        yield from ENGINES
        yield from custom_object_engines(client)


def hubspot_answers() -> None:
    """Before fanning out: HubSpot reachable and the token accepted, asked once (one cheap
    request), or every process would meet the same wall on its own (N x the timeouts)."""
    with client_from_settings() as client:
        try:
            client.request("GET", client.paths.owners(), params={"limit": 1})
        except HubSpotError as error:
            if isinstance(error, HubSpotUnauthorizedError | HubSpotConnectError):
                raise command_error(error, "every type",
                                    Wording(done="nothing was started")) from None
            # anything else (a scope, a blip) is each type's own to meet and report


def _interrupted(outcomes: list[Outcome]) -> bool:
    return any(o.status == Status.INTERRUPTED for o in outcomes)
