from django.core.management.base import CommandError

from ingestion.sync.hubspot.connection import client_from_settings
from ingestion.sync.hubspot.engines.custom_objects import custom_object_engines
from ingestion.sync.hubspot.engines.registry import (
    DEFINITION_ENGINES,
    MARKETING_ENGINES,
    RECORD_ENGINES,
)
from ingestion.sync.hubspot.errors import HubSpotAuthError, HubSpotConnectError, HubSpotError

from .. import fan_out
from ..base_hubspot_sync import (
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_NO_ACCESS,
    EXIT_PARTIAL,
    EXIT_USAGE,
    command_error,
)
from ..multi_sync import NO_ACCESS, MultiSyncCommand, Outcome, format_table

# Definitions first (what the records refer to), then the CRM records, lists and forms
# (with their memberships and submissions), then custom objects.
ENGINES = (*DEFINITION_ENGINES, *RECORD_ENGINES, *MARKETING_ENGINES)


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
                                 "another in this process)")

    def handle(self, *args, **opts) -> None:
        if opts["parallel"] is not None and opts["on_workers"]:
            raise CommandError("--parallel runs processes on this machine, --on-workers "
                               "tasks on the Celery workers: choose one", returncode=EXIT_USAGE)
        if opts["parallel"] is not None and opts["parallel"] < 1:
            raise CommandError("--parallel must be at least 1", returncode=EXIT_USAGE)
        if opts["queue"] and not opts["on_workers"]:
            raise CommandError("--queue goes with --on-workers", returncode=EXIT_USAGE)
        if not opts["on_workers"] and (opts["parallel"] or 1) == 1:
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
            outcomes: list[Outcome] = []
            try:
                for name, stage in fan_out.stages(self.job):
                    outcomes += self._on_workers(name, stage, opts)
                    if any(o.status == "interrupted" for o in outcomes):
                        break  # no later stage starts
            finally:
                self.stdout.write(format_table(outcomes))
        if any(o.status == "interrupted" for o in outcomes):
            raise CommandError("interrupted: each type that was running saved its batch in "
                               "flight and stopped, the others did not start; no watermark "
                               "moved, the next run resumes", returncode=EXIT_INTERRUPTED)
        self.exit_for(outcomes)

    def _on_workers(self, name: str, commands: tuple[str, ...], opts: dict) -> list[Outcome]:
        outcomes = []
        results = fan_out.run_stage(name, commands, opts, opts["queue"], self.stderr.write) \
            if opts["on_workers"] else fan_out.run_stage_locally(commands, opts, opts["parallel"])
        for command, result in results.items():
            output = result.get("output") or []
            for line in output:
                if ": " in line and "=" in line:
                    self.stdout.write(line)
            if result["status"] != 0:
                self.stderr.write(f"{command}: exit {result['status']}: {result.get('error')}")
            # Every type that ended is reported, also those that ended after an interrupt.
            outcomes += _outcomes(command, result["status"], output, result.get("error"))
        return outcomes

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
            refused = isinstance(error, HubSpotAuthError) and error.status == 401
            if refused or isinstance(error, HubSpotConnectError):
                raise command_error(error, "every type", done="nothing was started") from None
            # anything else (a scope, a blip) is each type's own to meet and report


def _outcomes(command: str, status: int, output: list[str], error: str | None) -> list[Outcome]:
    """A fanned-out command's rows of the table: one per summary line it printed."""
    counts = fan_out.counts_by_type(output)
    if status == EXIT_LOCKED:
        return [Outcome(command.removeprefix("sync_hubspot_"), "running", error=error or "")]
    if status == EXIT_INTERRUPTED:
        return [Outcome(command.removeprefix("sync_hubspot_"), "interrupted",
                        error=error or "")]
    if status == EXIT_NO_ACCESS:  # HubSpot answered 403 for the type: skipped, not failed
        return [Outcome(command.removeprefix("sync_hubspot_"), NO_ACCESS, error=error or "")]
    if not counts:
        state = "success" if status == 0 else "partial" if status == EXIT_PARTIAL else "failed"
        return [Outcome(command.removeprefix("sync_hubspot_"), state, error=error or "")]
    rows = [Outcome(name, "partial" if c.failed else "success", c)
            for name, c in counts.items()]
    if status == EXIT_PARTIAL and not any(row.status == "partial" for row in rows):
        for row in rows:  # a full read short of HubSpot's count exits 3 with no failed record
            row.status = "partial"
    if status not in (0, EXIT_PARTIAL):  # it stopped after these: the rest of it failed
        rows.append(Outcome(command.removeprefix("sync_hubspot_"), "failed", error=error or ""))
    return rows
