"""`sync_hubspot_all --on-workers`: the types as Celery tasks, in parallel where they may be.

Stages run one after another; the commands of a stage run at the same time on whichever
workers take them (`ingestion.sync_hubspot` tasks, the same commands with the same flags):

  1. definitions   sync_hubspot_properties, _owners, _pipelines: what records refer to
  2. records       lists and forms, one command per CRM record type, and custom objects
                   (sync_hubspot_custom_objects: their schemas, then each custom type):
                   independent of each other (links are keyed by HubSpot ids, no foreign
                   keys), so they fan out

Each command still takes its type's lock, so a type some other run is syncing is skipped
(exit 75) and never synced twice at once. Every worker paces itself against the rate budget
it shares with the others (HUBSPOT_RATE_LIMIT_REDIS_URL), so more workers do not mean more
429s. The command waits for every task and prints the same table as a run in one process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from contextlib import contextmanager

from django.conf import settings

from ingestion.base.results import SyncCounts
from ingestion.sync.hubspot.engines.registry import MARKETING_ENGINES, RECORD_ENGINES

from .base_hubspot_sync import EXIT_INTERRUPTED
from .sync_flags import KIND_FLAGS, kind_of

DEFINITIONS = ("sync_hubspot_properties", "sync_hubspot_owners", "sync_hubspot_pipelines")
CUSTOM = ("sync_hubspot_custom_objects",)
# What the fanned-out commands are given: the flags of `sync_hubspot_all` they share.
FORWARDED = ("full", "since", "force_overwrite", "dry_run", "batch_size", "max_records",
             "skip_associations", "links_only", "deletions", "list_only")


def stages(job: str | None) -> list[tuple[str, ...]]:
    """The commands to run, stage by stage (link refresh and deletion checks are for record
    types only: custom objects' records are checked by their own command)."""
    records = tuple(f"sync_hubspot_{engine.object_type}" for engine in RECORD_ENGINES)
    if job is not None:  # only where the job's flag applies: no link refresh without links
        flag = "links_only" if job == "links" else "deletions"
        return [tuple(f"sync_hubspot_{engine.object_type}" for engine in RECORD_ENGINES
                      if flag in KIND_FLAGS[kind_of(engine)]) + CUSTOM]
    # Lists and forms name records by id only (no foreign keys): they run beside them, and
    # start first: long chains of small requests (memberships, submissions) that wait on
    # answers more than on the budget, so started last they would trail the whole run.
    marketing = tuple(f"sync_hubspot_{engine.object_type}" for engine in MARKETING_ENGINES)
    return [DEFINITIONS, marketing + records + CUSTOM]


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
    flags = {name: opts[name] for name in FORWARDED
             if name in accepted and opts.get(name) not in (None, False)}
    if "check_access_first" in accepted:  # a type without access: skipped as in one process
        flags["check_access_first"] = True
    return flags


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


def run_stage_locally(commands: Iterable[str], opts: dict, parallel: int) -> dict[str, dict]:
    """`sync_hubspot_all --parallel N`: the stage's commands as up to N `manage.py`
    processes at once on this machine, each with its own client, lock and run row; by
    command, {"status", "output", "error"} as from a worker. They pace themselves from
    HubSpot's rate-limit headers (each counts the others' requests it sees there: pacing.py),
    or share HUBSPOT_RATE_LIMIT_REDIS_URL's budget when one is set. SIGINT/SIGTERM are
    passed on to them (each finishes its batch in flight and exits 130)."""
    pending, running, results = list(commands), {}, {}
    env = child_environment(parallel)
    stopping: list[int] = []  # the signal received, if any: start nothing more
    with _forwarding_signals(running, stopping):
        while pending or running:
            if stopping:
                results.update({c: {"status": EXIT_INTERRUPTED, "output": [],
                                    "error": "not started: interrupted"} for c in pending})
                pending = []
                if not running:
                    break
            while pending and len(running) < parallel:
                command = pending.pop(0)
                # Files, not pipes: a chatty child never blocks on a full pipe.
                out = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by _finished
                err = tempfile.TemporaryFile("w+")  # noqa: SIM115
                running[command] = (subprocess.Popen(
                    # --skip-checks: this command ran Django's system checks already.
                    [sys.executable, "manage.py", command, "--noinput", "--skip-checks",
                     *cli_flags(flags_for(command, opts))],
                    cwd=settings.BASE_DIR, env=env, stdout=out, stderr=err, text=True),
                    out, err)
            command, (process, out, err) = _first_done(running)
            results[command] = _finished(process, out, err)
    return results


def child_environment(parallel: int) -> dict[str, str]:
    """The environment of each of `parallel` processes. Without a shared budget they split
    search's: its answers carry no rate-limit headers (API-FACTS §3), so unlike the general
    window no process could learn from them what the others spend, and N processes at the
    whole 5 per second meet 429s on every search."""
    env = dict(os.environ)
    search_rate = settings.HUBSPOT_SEARCH_REQUESTS_PER_SECOND
    if parallel > 1 and search_rate and not settings.HUBSPOT_RATE_LIMIT_REDIS_URL:
        env["HUBSPOT_SEARCH_REQUESTS_PER_SECOND"] = str(max(1, search_rate // parallel))
    return env


def _finished(process: subprocess.Popen, out, err) -> dict:
    with out, err:
        out.seek(0)
        err.seek(0)
        lines = err.read().strip().splitlines()
        # Killed by the signal before it could handle it (still starting up): interrupted.
        status = EXIT_INTERRUPTED if process.returncode < 0 else process.returncode
        return {"status": status, "output": out.read().splitlines(),
                "error": lines[-1] if lines else f"ended by signal {-process.returncode}"}


def cli_flags(flags: dict) -> list[str]:
    """{"full": True, "batch_size": 500} -> ["--full", "--batch-size", "500"]."""
    args: list[str] = []
    for name, value in flags.items():
        args.append("--" + name.replace("_", "-"))
        if value is not True:
            args.append(str(value))
    return args


def _first_done(running: dict[str, tuple]) -> tuple[str, tuple]:
    while True:
        for command, (process, *_) in running.items():
            if process.poll() is not None:
                return command, running.pop(command)
        time.sleep(0.05)


@contextmanager
def _forwarding_signals(running: dict[str, tuple], stopping: list[int]):
    def forward(signum, frame):
        stopping.append(signum)
        for process, *_ in running.values():
            process.send_signal(signum)

    previous = {signum: signal.signal(signum, forward)
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
