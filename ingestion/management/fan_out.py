"""`sync_hubspot_all --on-workers`: the types as Celery tasks, in parallel where they may be.

Stages run one after another; the commands of a stage run at the same time on whichever
workers take them (`ingestion.sync_hubspot` tasks, the same commands with the same flags):

  1. definitions   sync_hubspot_properties, _owners, _pipelines: what records refer to
  2. records       one command per CRM record type: independent of each other (links are
                   keyed by HubSpot ids, no foreign keys), so they fan out
  3. custom        sync_hubspot_custom_objects (its schemas, then each custom type)

Each command still takes its type's lock, so a type some other run is syncing is skipped
(exit 75) and never synced twice at once. Every worker paces itself against the rate budget
it shares with the others (HUBSPOT_RATE_LIMIT_REDIS_URL), so more workers do not mean more
429s. The command waits for every task and prints the same table as a run in one process.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from ingestion.base.results import SyncCounts
from ingestion.sync.hubspot.engines.registry import RECORD_ENGINES

DEFINITIONS = ("sync_hubspot_properties", "sync_hubspot_owners", "sync_hubspot_pipelines")
CUSTOM = ("sync_hubspot_custom_objects",)
# What the fanned-out commands are given: the flags of `sync_hubspot_all` they share.
FORWARDED = ("full", "since", "force_overwrite", "dry_run", "batch_size", "max_records",
             "skip_associations", "links_only", "deletions")


def stages(job: str | None) -> list[tuple[str, ...]]:
    """The commands to run, stage by stage (link refresh and deletion checks are for record
    types only: custom objects' records are checked by their own command)."""
    records = tuple(f"sync_hubspot_{engine.object_type}" for engine in RECORD_ENGINES)
    if job is not None:
        return [records, CUSTOM]
    return [DEFINITIONS, records, CUSTOM]


def run_stage(commands: Iterable[str], opts: dict, queue: str | None) -> dict[str, dict]:
    """Send one task per command, then wait for all: by command, its result
    ({"status", "output"}) or its failure ({"status", "output", "error"})."""
    from config.celery import app  # only here: a run in one process needs no broker

    sent = {command: app.send_task("ingestion.sync_hubspot", queue=queue,
                                   kwargs={"command": command, **flags_for(command, opts)})
            for command in commands}
    # A task runs at most as long as the broker lets it (its visibility timeout).
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    return {command: _outcome(task.get(timeout=timeout, propagate=False), task.state)
            for command, task in sent.items()}


def flags_for(command: str, opts: dict) -> dict:
    from ingestion.tasks import command_flags

    accepted = command_flags(command)
    return {name: opts[name] for name in FORWARDED
            if name in accepted and opts.get(name) not in (None, False)}


def _outcome(result: object, state: str) -> dict:
    if state == "SUCCESS" and isinstance(result, dict):
        return result
    status = getattr(result, "status", 1)
    output = list(getattr(result, "output", []) or [])
    return {"status": status, "output": output, "error": output[-1] if output else str(result)}


def counts_by_type(output: list[str]) -> dict[str, SyncCounts]:
    """The summary lines of a command's output (`contacts: fetched=… failed=…`) as counts."""
    found = {}
    for line in output:
        name, sep, rest = line.partition(": fetched=")
        if sep:
            pairs = dict(p.split("=", 1) for p in ("fetched=" + rest).split(" (")[0].split())
            found[name] = SyncCounts(**{k: int(v) for k, v in pairs.items()
                                        if k in SyncCounts.__dataclass_fields__})
    return found
