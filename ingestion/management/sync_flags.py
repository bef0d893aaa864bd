"""The flags of the sync commands, and which of them can apply to which kind of type.

One rule for every command: a flag the command's types cannot use is not offered (`--help`
does not list it) and, typed anyway, is a usage error (exit 2) named after the flag, before
the database, the credentials or HubSpot are touched, so nothing is recorded. A command that
runs several kinds of type (`sync_hubspot_all`, `sync_hubspot_custom_objects`) takes a flag
that applies to any of them and runs each type with the ones that apply to it.

The kinds (what the engine supports):

    records            CRM record types with associations: every flag
    records-no-links   record types HubSpot gives no associations (products, users …):
                       no --skip-associations, no --links-only
    lists-and-forms    definitions read whole, with what hangs off them (memberships,
                       submissions) read where it changed: incremental (--since), and
                       --skip-associations skips what hangs off them
    sources            marketing sources HubSpot lists from a time on (email events,
                       marketing emails …): incremental (--since); no links, no history
    definitions        owners, pipelines, stages, properties, schemas: read whole every run
                       (HubSpot gives them no modified time to filter by), and each run
                       archives those gone; no links, no history, no deletion check
    links job          the link refresh (`sync_hubspot_associations`): reads links only

`command_flags`: the flags a command the Celery task may run defines, read from its parser;
the task (ingestion/tasks.py), the beat schedule and the fan-out check their flags against it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from functools import cache

from django.core.management import get_commands, load_command_class
from django.core.management.base import BaseCommand, CommandError

from .outcomes import EXIT_USAGE


@dataclass(frozen=True)
class Flag:
    option: str  # as typed, e.g. "--since"
    dest: str  # the option's name in `opts`
    spec: dict = field(default_factory=dict)  # add_argument's other arguments
    needs: str = ""  # which types it is for, said when it is refused

    @property
    def takes_value(self) -> bool:
        return self.spec.get("action") != "store_true"


def _switch(help_text: str) -> dict:
    return {"action": "store_true", "help": help_text}


FLAGS = (
    Flag("--full", "full", _switch(
        "fetch every record, not only those changed since the last run"),
        "syncs that read records"),
    Flag("--since", "since", {
        "metavar": "DATE", "help": "fetch records modified at or after DATE (YYYY-MM-DD or "
                                   "ISO 8601; UTC unless an offset is given)"},
        "types HubSpot lists by modified time (record types, lists, forms)"),
    Flag("--force-overwrite", "force_overwrite", _switch(
        "delete and recreate every fetched local row from HubSpot's data, whatever the "
        "timestamps say"), "syncs that read records"),
    Flag("--batch-size", "batch_size", {
        "type": int, "default": 1000, "metavar": "N",
        "help": "records per save batch (1-10000; default 1000)"},
        "syncs that save records"),
    Flag("--dry-run", "dry_run", _switch("fetch and report what would change; write nothing")),
    Flag("--max-records", "max_records", {
        "type": int, "metavar": "N", "help": "stop after N records (the watermark is not moved)"},
        "syncs that read records"),
    Flag("--skip-associations", "skip_associations", _switch(
        "do not read or update the records' associations (lists: memberships; forms: "
        "submissions)"),
        "types with associations, list memberships or form submissions"),
    Flag("--list-only", "list_only", _switch(
        "full reads use the list endpoint alone, not also search from the other end of the "
        "ids (HUBSPOT_TWO_ENDED_READS)"), "CRM record types (their full reads)"),
    Flag("--with-history", "with_history", {
        "metavar": "PROP[,PROP...]", "default": "",
        "help": "also keep the change history of these properties (in "
                "hubspot_property_history) for records changed in this run; `type:prop` "
                "names one type's property (adds to HUBSPOT_PROPERTY_HISTORY and to the stages' "
                "history kept by default: HUBSPOT_STAGE_HISTORY)"},
        "CRM record types"),
    Flag("--links-only", "links_only", _switch(
        "re-read only the associations of every stored live record (1,000 per request), not "
        "the records: catches link changes, which do not change a record's modified time"),
        "CRM record types with associations"),
    Flag("--deletions", "deletions", _switch(
        "list only ids (live and archived) to archive records deleted upstream and restore "
        "those that came back; reads no records except those"), "CRM record types"),
)
BY_DEST = {flag.dest: flag for flag in FLAGS}
DEFAULTS = {flag.dest: flag.spec.get("default") for flag in FLAGS}
JOB_FLAGS = ("links_only", "deletions")  # one job or the other (mutually exclusive)

EVERY = frozenset(BY_DEST)
DEFINITION_FLAGS = frozenset({"full", "force_overwrite", "batch_size", "dry_run",
                              "max_records"})
KIND_FLAGS = {
    "records": EVERY,
    "records-no-links": EVERY - {"skip_associations", "links_only"},
    "lists-and-forms": DEFINITION_FLAGS | {"since", "skip_associations"},
    "sources": DEFINITION_FLAGS | {"since"},
    "definitions": DEFINITION_FLAGS,
    "links job": frozenset({"dry_run"}),
}
TYPE_KINDS = ("records", "records-no-links", "lists-and-forms", "sources", "definitions")
# What a refusal says the command's types are.
KIND_TEXT = {
    "records-no-links": "a record type HubSpot gives no associations",
    "lists-and-forms": "definitions read whole every run, with their memberships or "
                       "submissions",
    "sources": "a marketing source, read from a time on, with no associations",
    "definitions": "definitions, read whole every run (HubSpot gives them no modified time "
                   "to filter by) and archived when gone, with no associations",
    "links job": "it refreshes the links of the stored records and reads no records",
}
# Flags a job (the link refresh, the deletion check) uses besides its own.
JOB_USES = {"links": frozenset({"dry_run"}),
            "deletions": frozenset({"dry_run", "batch_size", "skip_associations"})}


def kind_of(engine_class: type) -> str:
    """The kind of type an engine mirrors (see the module doc), from what it supports."""
    from ingestion.sync.hubspot.engines.base import HubSpotBaseSyncEngine

    if issubclass(engine_class, HubSpotBaseSyncEngine):
        return "records" if engine_class.association_types else "records-no-links"
    if engine_class.supports_incremental:
        return "lists-and-forms" if getattr(engine_class, "has_related", False) else "sources"
    return "definitions"


def applicable(kinds: tuple[str, ...]) -> frozenset[str]:
    """The flags that apply to at least one of these kinds."""
    return frozenset().union(*(KIND_FLAGS[kind] for kind in kinds))


def add_flags(parser, kinds: tuple[str, ...]) -> None:
    """The flags that apply, as usual; the others hidden, under a dest of their own that
    `refused()` reads (so a job runner reading the parser's dests never forwards them)."""
    offered = applicable(kinds)
    jobs = parser.add_mutually_exclusive_group() if offered.intersection(JOB_FLAGS) else None
    for flag in FLAGS:
        if flag.dest in offered:
            target = jobs if flag.dest in JOB_FLAGS else parser
            target.add_argument(flag.option, dest=flag.dest, **flag.spec)
        elif flag.takes_value:
            parser.add_argument(flag.option, dest=_refused_dest(flag), help=argparse.SUPPRESS)
        else:
            parser.add_argument(flag.option, dest=_refused_dest(flag), action="store_true",
                                help=argparse.SUPPRESS)


def check_refused(opts: dict, kinds: tuple[str, ...], command: str) -> None:
    """Exit 2 naming the first flag typed that applies to none of the command's types."""
    typed = [flag for flag in FLAGS if opts.get(_refused_dest(flag)) not in (None, False)]
    if typed:
        flag = typed[0]
        what = "; ".join(KIND_TEXT.get(kind, kind) for kind in kinds)
        raise CommandError(f"{flag.option} does not apply to {command}: {what}. "
                           f"{flag.option} is for {flag.needs}", returncode=EXIT_USAGE)


def check_job(opts: dict, job: str) -> None:
    """--links-only / --deletions on a record type's command: the flags the job cannot use."""
    clash = [flag.option for flag in FLAGS
             if flag.dest not in JOB_FLAGS and flag.dest not in JOB_USES[job]
             and opts.get(flag.dest) not in (None, False, "", DEFAULTS[flag.dest])]
    if clash:
        what = "--links-only" if job == "links" else "--deletions"
        raise CommandError(f"{what} cannot be combined with {', '.join(clash)}",
                           returncode=EXIT_USAGE)


def _refused_dest(flag: Flag) -> str:
    return f"refused_{flag.dest}"


# Besides the sync_hubspot_* commands, the Celery task runs these (their flags as keywords too).
UPKEEP_COMMANDS = ("verify_hubspot", "apply_hubspot_events")


@cache
def command_flags(command: str) -> dict[str, object]:
    """The options the command itself defines (its add_arguments), read from its parser, so
    a new flag needs no change here, each with its argparse type (or None). Django's own
    options (--settings ...) are not flags."""
    runnable = command.startswith("sync_hubspot_") or command in UPKEEP_COMMANDS
    if not runnable or command not in get_commands():
        raise ValueError(f"not a sync command: {command}")
    own = _options(load_command_class(get_commands()[command], command))
    return {dest: kind for dest, kind in own.items() if dest not in _options(BaseCommand())}


def _options(command: BaseCommand) -> dict[str, object]:
    parser = command.create_parser("manage.py", "command")
    return {action.dest: action.type for action in parser._actions}  # call_command's names
