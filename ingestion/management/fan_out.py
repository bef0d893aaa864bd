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
429s. The command waits for every task and prints the same table as a run in one process, from
the outcomes each command hands back as data (outcomes.Report: the task's result, or with
`--parallel` the child's outcome file), never from what it printed.

Waits that end: nothing is sent unless the broker answers and a worker consumes the queue
(`check_workers`); while it waits the command says each stage's progress, takes a task whose
worker is gone as that type's failure (`WorkerWatch`), and on SIGINT/SIGTERM revokes what
has not ended (`StageWait`). With `--parallel N` a child killed from outside (the OOM killer)
is its type's failure, not an interrupt of the whole run (`_finished`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from celery.states import READY_STATES
from django.conf import settings
from django.core.management.base import CommandError

from ingestion.base import history
from ingestion.base.redact import redact
from ingestion.sync.hubspot.engines.registry import (
    MARKETING_ENGINES,
    RECORD_ENGINES,
    SOURCE_ENGINES,
)

from .outcomes import EXIT_FAILED, EXIT_INTERRUPTED, Outcome, OutcomeFile, Report, first_line
from .sync_flags import KIND_FLAGS, command_flags, kind_of

DEFINITIONS = ("sync_hubspot_properties", "sync_hubspot_owners", "sync_hubspot_pipelines")
CUSTOM = ("sync_hubspot_custom_objects",)
# What the fanned-out commands are given: the flags of `sync_hubspot_all` they share.
FORWARDED = ("full", "since", "force_overwrite", "dry_run", "batch_size", "max_records",
             "skip_associations", "links_only", "deletions", "list_only", "portal")


def stages(job: str | None) -> list[tuple[str, tuple[str, ...]]]:
    """The commands to run, stage by stage, with the stage's name (link refresh and deletion
    checks are for record types only: custom objects' records are checked by their own
    command)."""
    records = tuple(f"sync_hubspot_{engine.object_type}" for engine in RECORD_ENGINES)
    if job is not None:  # only where the job's flag applies: no link refresh without links
        flag = "links_only" if job == "links" else "deletions"
        return [("records", tuple(f"sync_hubspot_{engine.object_type}"
                                  for engine in RECORD_ENGINES
                                  if flag in KIND_FLAGS[kind_of(engine)]) + CUSTOM)]
    # Lists and forms name records by id only (no foreign keys): they run beside them, and
    # start first: long chains of small requests (memberships, submissions) that wait on
    # answers more than on the budget, so started last they would trail the whole run.
    marketing = tuple(f"sync_hubspot_{engine.object_type}" for engine in MARKETING_ENGINES)
    # The marketing sources come last: a contact's subscription statuses are read for the
    # contacts the records stage stored.
    sources = tuple(f"sync_hubspot_{engine.object_type}" for engine in SOURCE_ENGINES)
    return [("definitions", DEFINITIONS), ("records", marketing + records + CUSTOM),
            ("sources", sources)]


def default_queue() -> str:
    from config.celery import app

    return app.conf.task_default_queue


def check_workers(queue: str) -> None:
    """Before anything is sent: the broker must answer, and a worker must consume `queue`,
    or the command would wait for ever on tasks nobody takes (and leave them queued)."""
    from config.celery import app

    with app.connection_for_write() as connection:
        try:
            connection.ensure_connection(max_retries=1, interval_start=0,
                                         timeout=WORKER_ANSWER_S)
        except Exception as error:  # kombu's OperationalError, or the transport's own
            raise CommandError(redact(
                f"cannot reach the Celery broker at {_without_credentials(connection.as_uri())} "
                f"(CELERY_BROKER_URL): {first_line(error).rstrip('.')}; nothing was sent")
            ) from None
    if not listening_workers(app, queue):
        raise CommandError(
            f"no Celery worker answered on the queue {queue!r} within {WORKER_ANSWER_S:g} s: "
            f"start one (`celery -A config worker -Q {queue}`); nothing was sent")


def listening_workers(app, queue: str) -> list[str]:
    """The workers that answer now and consume `queue`. A worker of the solo pool busy with
    a task cannot answer (its one thread runs the task)."""
    replies = app.control.inspect(timeout=WORKER_ANSWER_S).active_queues() or {}
    return [worker for worker, queues in replies.items()
            if any(q.get("name") == queue for q in queues or ())]


def run_stage(name: str, commands: Iterable[str], opts: dict, queue: str,
              say) -> list[Report]:
    """Send one task per command, then wait for all: what each came to, in the order they
    ended. `say` is given the stage's progress; SIGINT/SIGTERM revoke the tasks not yet
    ended."""
    return run_tasks(name, {command: {"command": command, **flags_for(command, opts)}
                            for command in commands}, queue, say)


def run_tasks(name: str, tasks: dict[str, dict], queue: str, say) -> list[Report]:
    """One `ingestion.sync_hubspot` task per entry of `tasks` (its name in the reports: its
    keyword arguments), then wait for all (StageWait): what each came to, as it ended."""
    from config.celery import app  # only here: a run in one process needs no broker

    sent = {key: app.send_task("ingestion.sync_hubspot", queue=queue, kwargs=kwargs)
            for key, kwargs in tasks.items()}
    stopping: list[int] = []
    with _forwarding_signals({}, stopping):
        return StageWait(app, name, sent, queue, say).until_done(stopping)


WORKER_ANSWER_S = 2.0  # how long a broker or a worker has to answer a check
POLL_S = 1.0  # how often task states are read
LIVENESS_EVERY_S = 5.0  # how often the workers of running tasks are checked
SILENCE_S = 300.0  # a worker on another machine silent this long (after answering) is lost
PROGRESS_EVERY_S = 60.0  # progress is said when it changes, and at least this often


class StageWait:
    """Waits for a stage's tasks: takes each result as it ends, notices a task whose worker
    is gone (the task would otherwise look running until the visibility timeout, 12 h),
    says how far the stage is, and on an interrupt revokes what has not ended."""

    def __init__(self, app, stage: str, sent: dict, queue: str, say):
        self.app, self.stage, self.sent, self.queue, self.say = app, stage, sent, queue, say
        self.results: dict[str, Report] = {}
        self.watch = WorkerWatch(app)
        self.shown: tuple | None = None
        self.shown_at = 0.0
        self.workerless_since: float | None = None

    def until_done(self, stopping: list[int]) -> list[Report]:
        while True:
            states = self._collect()
            self._progress(states)
            if len(self.results) == len(self.sent):
                return list(self.results.values())
            if stopping:
                self._revoke_rest()
                return list(self.results.values())
            time.sleep(POLL_S)

    def _collect(self) -> dict[str, str]:
        """The state of each task not ended yet; ended ones (or lost ones) into results."""
        judge = self.watch.due()
        states = {}
        for command, task in self.sent.items():
            if command in self.results:
                continue
            state = task.state
            if state in READY_STATES:
                self.results[command] = task_report(command, task.result, state)
            elif state == "STARTED" and judge and (lost := self.watch.lost(task.info)):
                task.revoke()  # a redelivery after the visibility timeout does nothing
                self.results[command] = Report(command, EXIT_FAILED, error=lost)
            else:
                states[command] = state
        if judge and states and "STARTED" not in states.values():
            self._unless_workerless(states)
        return states

    def _unless_workerless(self, states: dict[str, str]) -> None:
        """Tasks wait and none runs: if no worker consumes the queue any more (the last one
        was killed), they would wait for ever. After HUBSPOT_WORKERLESS_SECONDS without one
        they fail."""
        if listening_workers(self.app, self.queue):
            self.workerless_since = None
            return
        self.workerless_since = self.workerless_since or time.monotonic()
        patience = settings.HUBSPOT_WORKERLESS_SECONDS
        if time.monotonic() - self.workerless_since < patience:
            return
        self.app.control.revoke([self.sent[c].id for c in states])
        error = (f"not run: no worker has consumed the queue {self.queue!r} for "
                 f"{patience:.0f} s")
        self.results.update({c: Report(c, EXIT_FAILED, error=error) for c in states})
        states.clear()

    def _progress(self, states: dict[str, str]) -> None:
        running = sum(state == "STARTED" for state in states.values())
        now = (len(self.results), running, len(states) - running)
        if now != self.shown or time.monotonic() - self.shown_at >= PROGRESS_EVERY_S:
            self.say(f"{self.stage}: {now[0]} of {len(self.sent)} done, {now[1]} running, "
                     f"{now[2]} waiting")
            self.shown, self.shown_at = now, time.monotonic()

    def _revoke_rest(self) -> None:
        """Interrupted: the waiting tasks are dropped by the workers, the running ones get
        SIGTERM (each saves its batch in flight; the solo pool cannot pass it on)."""
        rest = [c for c in self.sent if c not in self.results]
        self.app.control.revoke([self.sent[c].id for c in rest], terminate=True,
                                signal="SIGTERM")
        self.results.update({c: Report(c, EXIT_INTERRUPTED,
                                       error="interrupted: its task was revoked")
                             for c in rest})


class WorkerWatch:
    """Is the worker running a task still there? On this machine: its process (exact). On
    another: it answers pings; one that answered and then fell silent for SILENCE_S is lost.
    A worker that never answers while it runs a task (the solo pool) is never judged."""

    def __init__(self, app):
        self.app = app
        self.checked_at = time.monotonic()
        self.answered: dict[str, float] = {}

    def due(self) -> bool:
        if time.monotonic() - self.checked_at < LIVENESS_EVERY_S:
            return False
        self.checked_at = time.monotonic()
        return True

    def lost(self, info: object) -> str:
        """Why the task's worker is gone, or "" while it may still be running it."""
        if not isinstance(info, dict) or "hostname" not in info:
            return ""
        worker, pid = str(info["hostname"]), info.get("pid")
        host = worker.partition("@")[2]
        if host == socket.gethostname() and pid:
            if _process_alive(int(pid)):
                return ""
            history.abandon_runs_of(int(pid), f"its Celery worker {worker} is gone")
            return f"its worker {worker} (pid {pid}) is gone (killed?); the type failed"
        now = time.monotonic()
        if self.app.control.ping(destination=[worker], timeout=WORKER_ANSWER_S):
            self.answered[worker] = now
            return ""
        silent = now - self.answered.get(worker, now)
        if silent < SILENCE_S:
            return ""
        return f"its worker {worker} stopped answering {silent:.0f} s ago; the type failed"


def _process_alive(pid: int) -> bool:
    """Whether the process runs: a killed one that its parent has not reaped yet (a
    zombie, state Z in /proc on Linux) has ended too."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:  # no /proc (not Linux): the signal reached it, it runs
        return True


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def flags_for(command: str, opts: dict) -> dict:
    accepted = command_flags(command)
    flags = {name: opts[name] for name in FORWARDED
             if name in accepted and opts.get(name) not in (None, False)}
    if "check_access_first" in accepted:  # a type without access: skipped as in one process
        flags["check_access_first"] = True
    return flags


def task_report(command: str, result: object, state: str) -> Report:
    """What an ended task came to: its result (ingestion.tasks.run_command), or its failure
    (SyncFailed, or any exception: a flag refused, the task revoked)."""
    if state == "SUCCESS" and isinstance(result, dict):
        return Report(command, result["status"], _outcomes(result.get("outcomes")))
    output = list(getattr(result, "output", []) or [])
    return Report(command, getattr(result, "status", EXIT_FAILED),
                  _outcomes(getattr(result, "outcomes", None)),
                  error=output[-1] if output else str(result))


def _outcomes(handed: list[dict] | None) -> list[Outcome]:
    return [Outcome.from_dict(outcome) for outcome in handed or ()]


def run_stage_locally(commands: Iterable[str], opts: dict, parallel: int) -> list[Report]:
    """`sync_hubspot_all --parallel N`: the stage's commands as up to N `manage.py`
    processes at once on this machine, each with its own client, lock and run row; what
    each came to (read from the outcome file it wrote), in the order they ended. They pace
    themselves from HubSpot's rate-limit headers (each counts the others' requests it sees
    there: pacing.py), or share HUBSPOT_RATE_LIMIT_REDIS_URL's budget when one is set.
    SIGINT/SIGTERM are passed on to them (each finishes its batch in flight and exits 130)."""
    return run_processes([(command, [command, *cli_flags(flags_for(command, opts))])
                          for command in commands], parallel)


def run_processes(jobs: list[tuple[str, list[str]]], parallel: int) -> list[Report]:
    """Up to `parallel` `manage.py` processes at once, one per job: (its name in the reports,
    the command and its flags); what each came to, in the order they ended. Signals are
    passed on as `run_stage_locally` says."""
    pending, running, reports = list(jobs), {}, []
    env = child_environment(parallel)
    stopping: list[int] = []  # the signal received, if any: start nothing more
    with _forwarding_signals(running, stopping), tempfile.TemporaryDirectory() as folder:
        while pending or running:
            if stopping:
                reports += [Report(key, EXIT_INTERRUPTED, error="not started: interrupted")
                            for key, _ in pending]
                pending = []
                if not running:
                    break
            while pending and len(running) < parallel and not stopping:
                key, args = pending.pop(0)
                running[key] = _start(args, env, os.path.join(folder, key))
                if stopping:  # it came while this child was being started: not passed on
                    running[key][0].send_signal(stopping[-1])
            key, (process, err, path) = _first_done(running)
            reports.append(_finished(key, process, err, path, interrupted=bool(stopping)))
    return reports


def manage_py(command: str) -> list[str]:
    """The command line that starts `command` (tests narrow what a child runs here)."""
    return [sys.executable, "manage.py", command]


def _start(args: list[str], env: dict, path: str) -> tuple:
    """A child process for `args` (a command and its flags), writing its outcomes to `path`.
    Its output is not read (what it came to is in that file); its stderr is kept in a file
    (not a pipe: a chatty child never blocks on a full one) for its last line, should it die
    before it says why."""
    open(path, "w").close()  # an empty file: a child that dies at once wrote nothing
    err = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by _finished
    process = subprocess.Popen(
        # --skip-checks: this command ran Django's system checks already.
        [*manage_py(args[0]), "--noinput", "--skip-checks", "--outcome-file", path,
         *args[1:]],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=err, text=True)
    return process, err, path


def child_environment(parallel: int) -> dict[str, str]:
    """The environment of each of `parallel` processes. Without a shared budget they split
    search's: its answers carry no rate-limit headers (docs/hubspot-api.md#search), so unlike the
    general window no process could learn from them what the others spend, and N processes at the
    whole 5 per second meet 429s on every search."""
    env = dict(os.environ)
    search_rate = settings.HUBSPOT_SEARCH_REQUESTS_PER_SECOND
    if parallel > 1 and search_rate and not settings.HUBSPOT_RATE_LIMIT_REDIS_URL:
        env["HUBSPOT_SEARCH_REQUESTS_PER_SECOND"] = str(max(1, search_rate // parallel))
    return env


def _finished(command: str, process: subprocess.Popen, err, path: str, *,
              interrupted: bool) -> Report:
    with err:
        err.seek(0)
        lines = err.read().strip().splitlines()
    if process.returncode >= 0:
        return OutcomeFile.read(command, process.returncode, path, lines[-1] if lines else "")
    if interrupted:  # killed by the signal we passed on, before it could handle it
        return OutcomeFile.read(command, EXIT_INTERRUPTED, path, "interrupted while starting")
    # Killed from outside (the OOM killer's SIGKILL): that type's failure, not the operator
    # interrupting the run; its `running` row is closed now rather than by its next run.
    name = signal.Signals(-process.returncode).name
    history.abandon_runs_of(process.pid, f"killed by {name}")
    return OutcomeFile.read(command, EXIT_FAILED, path,
                            f"its process was killed by {name} (out of memory?); the type "
                            "failed")


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
