"""Celery entry points: the same commands, for Celery beat schedules.

    CELERY_BEAT_SCHEDULE = {"hubspot-hourly": {
        "task": "ingestion.sync_hubspot", "schedule": 3600,
        "kwargs": {"command": "sync_hubspot_all"}}}

(or, with the database scheduler, `manage.py setup_hubspot_schedule`: ingestion/ops/schedules.py)

The task takes the command's flags as keyword arguments (`full=True`, `since="2024-01-01"`,
`batch_size=500` ..., and `portal="name"`: every command's --portal, for one of the portals
`manage.py hubspot_portal add` registered; default HUBSPOT_PORTAL, else the settings' own).
A portal's run switches the worker process's database scope for the task
(accounts.activate): run portals' tasks on prefork workers (one task per process at a time),
not a thread pool. It returns `{"command", "status": 0, "output": [summary lines],
"outcomes": [...]}` on success and raises SyncFailed on any other exit status (the table:
ingestion/management/outcomes.py; 1 fatal, 2 bad flag value, 3 some records failed, 75 locked:
another run of the type holds the lock, 77 no access, 130 interrupted), so Celery records the
task as FAILURE and its result carries the exit status, the output and the outcomes.
`outcomes`: one dict per type the command ran (name, status, counts, error, summary,
history_id: outcomes.Outcome), what `sync_hubspot_all --on-workers` reads. A flag the command
does not define, or a command that is neither a sync command nor `verify_hubspot` /
`apply_hubspot_events`, raises ValueError (e.g. `{"command": "verify_hubspot",
"types": "contacts"}`; verify's "not exact" is exit 4, a failure).

`sync_hubspot_changes` (HubSpot's webhooks journal) runs through `ingestion.sync_hubspot` like
any sync command: the default schedule's `{"command": "sync_hubspot_changes", "watch": 50}`
(ingestion/ops/schedules.py) holds a worker process for most of each minute.

`ingestion.apply_hubspot_events` (kwargs: `limit`) runs `apply_hubspot_events` the same way:
schedule it every minute or so, and/or let the webhook view enqueue it on each delivery
(HUBSPOT_WEBHOOK_APPLY_ON_RECEIPT).
"""

from __future__ import annotations

import io
import os
import signal
import threading

from celery import shared_task
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError

from ingestion.management.outcomes import EXIT_INTERRUPTED, EXIT_USAGE
from ingestion.management.sync_flags import command_flags


class SyncFailed(Exception):
    """A sync command ended with a non-zero exit status."""

    def __init__(self, command: str, status: int, output: list[str],
                 outcomes: list[dict] | None = None) -> None:
        # All in args: Celery stores args and rebuilds the exception from them.
        super().__init__(command, status, output, outcomes or [])
        self.command, self.status, self.output = command, status, output
        self.outcomes = outcomes or []

    def __str__(self) -> str:
        last = self.output[-1] if self.output else "no output"
        return f"{self.command} exited with status {self.status}: {last}"


def typed_flags(command: str, flags: dict) -> dict:
    """call_command() does not run keyword values through argparse: a beat schedule's
    JSON `"batch_size": "500"` must become 500 as on the command line."""
    kinds = command_flags(command)
    unknown = set(flags) - set(kinds)
    if unknown:
        raise ValueError(f"unknown flags for {command}: {', '.join(sorted(unknown))}")
    typed = {}
    for name, value in flags.items():
        kind = kinds[name]
        try:
            typed[name] = kind(value) if callable(kind) and isinstance(value, str) else value
        except ValueError:
            raise SyncFailed(command, EXIT_USAGE, [
                f"--{name.replace('_', '-')}: not a valid value: {value!r}"]) from None
    return typed


# track_started: `sync_hubspot_all --on-workers` tells running tasks from waiting ones, and
# finds the worker (hostname, pid) of a running one to notice when it is gone.
@shared_task(name="ingestion.sync_hubspot", acks_late=True, bind=True, track_started=True)
def sync_hubspot(task, command: str = "sync_hubspot_all", **flags) -> dict:
    """Run one sync command; return its summary lines, or raise SyncFailed."""
    # No terminal in a worker: never wait for a confirmation prompt (commands that never
    # prompt, like verify_hubspot, have no --noinput to pass).
    quiet = {"noinput": True} if "noinput" in command_flags(command) else {}
    return run_command(task, command, {**quiet, **typed_flags(command, flags)})


@shared_task(name="ingestion.apply_hubspot_events", acks_late=True, bind=True)
def apply_hubspot_events(task, limit: int | str | None = None,
                         portal: str | None = None) -> dict:
    """Apply the stored webhook events (the `apply_hubspot_events` command) of `portal`
    (default: HUBSPOT_PORTAL, else the settings' own): its summary line, or SyncFailed
    (status 3: some events failed and are retried; 75: another applier was running, which
    applies them or leaves them for the next run)."""
    command = "apply_hubspot_events"
    try:
        flags = {} if limit is None else {"limit": int(limit)}
    except ValueError:
        raise SyncFailed(command, EXIT_USAGE,
                         [f"--limit: not a valid value: {limit!r}"]) from None
    return run_command(task, command, {**flags, **({"portal": portal} if portal else {})})


def run_command(task, command: str, options: dict) -> dict:
    """Run a management command in the task; its output and outcomes (as data: what the
    command kept of each type it ran), or SyncFailed on a non-zero exit."""
    out = io.StringIO()
    runner = load_command_class(get_commands()[command], command)
    try:
        call_command(runner, stdout=out, stderr=io.StringIO(), **options)
    except CommandError as error:
        in_worker = not (task.request.called_directly or task.request.is_eager)
        if error.returncode == EXIT_INTERRUPTED and in_worker:
            pass_interrupt_on_to_worker()
        raise SyncFailed(command, error.returncode, [*out.getvalue().splitlines(), str(error)],
                         _outcomes(runner)) from error
    return {"command": command, "status": 0, "output": out.getvalue().splitlines(),
            "outcomes": _outcomes(runner)}


def _outcomes(runner) -> list[dict]:
    return [outcome.as_dict() for outcome in getattr(runner, "outcomes", [])]


def pass_interrupt_on_to_worker() -> None:
    """The command turned SIGTERM/SIGINT into exit status 130 and put the worker's own
    handler back, so the worker never saw the signal. Send SIGTERM again: the worker then
    stops once this task is recorded (warm shutdown), as whoever signalled it asked, instead
    of taking the next task. Only where the command handles signals: the main thread."""
    if threading.current_thread() is threading.main_thread():
        os.kill(os.getpid(), signal.SIGTERM)
