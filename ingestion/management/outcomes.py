"""What a command's run came to: one status per outcome, one exit-code table, and the one
place that turns failures (HubSpot's errors, the type's lock, an interrupt, the database)
into one-line CommandErrors with their exit codes.

Every command (the sync commands, `verify_hubspot`, `apply_hubspot_events`), the Celery task
(ingestion/tasks.py) and the fan-out (fan_out.py) take exit codes and statuses from here:

    status        exit  meaning
    success          0  done
    failed           1  fatal: nothing more was written
    usage            2  bad usage: nothing was recorded (sync_flags.py)
    partial          3  finished, but some records failed, or a full read fell short
    not exact        4  verify_hubspot: the mirror differs from HubSpot
    locked          75  another run holds the type's lock (EX_TEMPFAIL: try again later)
    no access       77  HubSpot answered 403 for the type (EX_NOPERM)
    interrupted    130  SIGINT/SIGTERM

When a command ran several types, each has its `Outcome`; the command's exit code is the worst
of them (each command's module doc says its order). A fanned-out command hands its outcomes
back as data (`Report`: a Celery task's result, a child process's outcome file), never as text
to be read back.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from enum import StrEnum

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError

from ingestion.base.history import SyncAlreadyRunning
from ingestion.base.redact import redact
from ingestion.base.results import SyncCounts
from ingestion.base.runner import Interrupted as RunInterrupted
from ingestion.base.runner import interrupt as run_interrupt
from ingestion.sync.hubspot.errors import (
    HubSpotClientCredentialsError,
    HubSpotConnectError,
    HubSpotDailyLimitError,
    HubSpotError,
    HubSpotForbiddenError,
    HubSpotRefreshTokenError,
    HubSpotUnauthorizedError,
)


class Status(StrEnum):
    SUCCESS = "success"
    FAILED = "failed"
    USAGE = "usage"
    PARTIAL = "partial"
    NOT_EXACT = "not exact"
    LOCKED = "locked"
    NO_ACCESS = "no access"
    INTERRUPTED = "interrupted"


EXIT_CODES: dict[Status, int] = {
    Status.SUCCESS: 0, Status.FAILED: 1, Status.USAGE: 2, Status.PARTIAL: 3,
    Status.NOT_EXACT: 4, Status.LOCKED: 75, Status.NO_ACCESS: 77, Status.INTERRUPTED: 130,
}
_BY_EXIT_CODE = {code: status for status, code in EXIT_CODES.items()}

# The table's codes by name, for the commands that raise them.
EXIT_FAILED = EXIT_CODES[Status.FAILED]
EXIT_USAGE = EXIT_CODES[Status.USAGE]
EXIT_PARTIAL = EXIT_CODES[Status.PARTIAL]
EXIT_NOT_EXACT = EXIT_CODES[Status.NOT_EXACT]
EXIT_LOCKED = EXIT_CODES[Status.LOCKED]
EXIT_NO_ACCESS = EXIT_CODES[Status.NO_ACCESS]
EXIT_INTERRUPTED = EXIT_CODES[Status.INTERRUPTED]


def status_text(status: Status) -> str:
    """How the commands' tables word a status (`sync_hubspot_all`'s, verify's): its name, but
    a type skipped for want of access says so."""
    return "skipped (no access)" if status is Status.NO_ACCESS else str(status)


# A run of several parts each with its own exit code (`sync_hubspot_all --all-portals`: one
# per portal) exits with the worst of theirs, in this order (worst first).
SEVERITY = (Status.INTERRUPTED, Status.FAILED, Status.USAGE, Status.NOT_EXACT, Status.LOCKED,
            Status.PARTIAL, Status.NO_ACCESS, Status.SUCCESS)


def worst(statuses) -> Status:
    """The worst of `statuses` (SEVERITY); success when there are none."""
    return min(statuses, key=SEVERITY.index, default=Status.SUCCESS)


def status_of(exit_code: int) -> Status:
    """The status an exit code says; any code outside the table is a failure."""
    return _BY_EXIT_CODE.get(exit_code, Status.FAILED)


@dataclass
class Outcome:
    """One type's part of a command's run: its status, counts, and the summary line it
    printed (or why it failed); `history_id` is its sync_history row, when it has one."""

    name: str
    status: Status
    counts: SyncCounts = field(default_factory=SyncCounts)
    error: str = ""
    summary: str = ""
    history_id: int | None = None

    def as_dict(self) -> dict:
        return {**asdict(self), "status": str(self.status)}

    @classmethod
    def from_dict(cls, data: dict) -> Outcome:
        return cls(**{**data, "status": Status(data["status"]),
                      "counts": SyncCounts(**data.get("counts", {}))})


@dataclass
class Report:
    """What one fanned-out command came to, as its Celery task or its process hands it back:
    its exit code, the outcome of each type it ran, and its error (one line)."""

    command: str
    exit_code: int
    outcomes: list[Outcome] = field(default_factory=list)
    error: str = ""

    def rows(self) -> list[Outcome]:
        """Its rows of the table: its outcomes, and a row for its exit code when none of them
        says it (a command that ended before or between its types: refused, killed,
        interrupted)."""
        status = status_of(self.exit_code)
        if any(o.status == status for o in self.outcomes) or (
                status is Status.SUCCESS and self.outcomes):
            return self.outcomes
        name = self.command.removeprefix("sync_hubspot_")
        return [*self.outcomes, Outcome(name, status, error=self.error)]


class OutcomeFile:
    """A child process's outcomes, one JSON line each as it records them (a child killed
    half-way leaves those it finished), then its error: what `--parallel` reads back."""

    def __init__(self, path: str | None) -> None:
        self.path = path

    def add(self, outcome: Outcome) -> None:
        self._write({"outcome": outcome.as_dict()})

    def end(self, error: str) -> None:
        self._write({"error": error})

    def _write(self, entry: dict) -> None:
        if self.path:
            with open(self.path, "a", encoding="utf-8") as file:
                file.write(json.dumps(entry) + "\n")

    @staticmethod
    def read(command: str, exit_code: int, path: str, error: str) -> Report:
        """The report of a child that exited with `exit_code`; `error` for one that recorded
        no error of its own (killed)."""
        report = Report(command, exit_code, error=error)
        with open(path, encoding="utf-8") as file:
            for entry in map(json.loads, file):
                if "outcome" in entry:
                    report.outcomes.append(Outcome.from_dict(entry["outcome"]))
                else:
                    report.error = entry["error"] or report.error
        return report


class NoAccess(CommandError):
    """HubSpot answered 403 for the type: the app lacks a scope for it, or the portal the
    feature (an object not activated, a hub not bought). A command for that type fails with
    it; `sync_hubspot_all`, the link refresh, deletion checks and `verify_hubspot` skip it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, returncode=EXIT_NO_ACCESS)


class Locked(CommandError):
    """Another run holds the type's lock: nothing was done, try again later."""

    def __init__(self, message: str) -> None:
        super().__init__(message, returncode=EXIT_LOCKED)


class Interrupted(CommandError):
    """SIGINT or SIGTERM stopped the run (the batch in flight was let finish)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, returncode=EXIT_INTERRUPTED)


class ConfigurationError(CommandError):
    """A problem no object type can get past (no token, a refused token, an unreachable host
    or database, a database not migrated): `sync_hubspot_all` stops at the first one."""


# Django prints a failed command's error as "<class name>: <message>"; a bad setting stops
# manage.py with "Configuration error: <message>" (config/environment.py): one wording for both.
ConfigurationError.__name__ = "Configuration error"
# The lock and an interrupt print as they always have (caught by class, worded as before).
Locked.__name__ = Interrupted.__name__ = CommandError.__name__


class SyncInterrupted(RunInterrupted):
    """Raised in the main thread by SIGINT/SIGTERM while a run goes on (`signals_interrupt`);
    the runner (ingestion/base/runner.py) records the run as failed by it."""


@contextmanager
def signals_interrupt():
    """SIGTERM (cron/Celery/systemd stopping us) ends the run like Ctrl-C: the open batch
    transaction rolls back and the run is recorded as failed."""

    def interrupt(signum, frame):
        # Through the runner: held back while a run takes its lock (runner.interrupt).
        run_interrupt(SyncInterrupted(f"interrupted by {signal.Signals(signum).name}"))

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may handle signals (e.g. a threaded Celery pool)
        return
    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass(frozen=True)
class Wording:
    """How a command words what a failure left, in its one-line errors."""

    failed: str = "HubSpot sync failed"  # said before HubSpot's reason for a failure
    done: str = "nothing was written"  # what a refused token or scope left undone
    after: str = ""  # said after any other failure's reason
    stopped: str = "the run stopped and the watermark was not moved"  # the database failed
    locked: str = ""  # said before the lock's reason


SYNC = Wording()


@contextmanager
def command_errors(what: str, wording: Wording = SYNC,
                   interrupted: Callable[[SyncInterrupted], str] = str):
    """The one mapping of a run's failures to one-line CommandErrors with their exit codes:
    HubSpot's errors (`command_error`), the type's lock (75), an interrupt (130, worded by
    `interrupted`: what the run saved) and a failed database. `what`: the type(s) run."""
    try:
        yield
    except HubSpotError as error:
        raise command_error(error, what, wording) from None
    except DatabaseError as error:
        raise ConfigurationError(redact(
            f"the database failed: {first_line(error)}; {wording.stopped}")) from None
    except SyncAlreadyRunning as error:
        raise Locked(f"{wording.locked}: {error}" if wording.locked else str(error)) from None
    except SyncInterrupted as error:
        raise Interrupted(interrupted(error)) from None


def command_error(error: HubSpotError, what: str, wording: Wording = SYNC) -> CommandError:
    """The one-line CommandError a HubSpot failure becomes (its exit status, and what the
    operator should check)."""
    done = wording.done
    if isinstance(error, HubSpotRefreshTokenError | HubSpotClientCredentialsError
                  | HubSpotConnectError):
        return ConfigurationError(redact(str(error) if done == SYNC.done else f"{error}; {done}"))
    if isinstance(error, HubSpotForbiddenError) and error.missing_scopes:
        # HubSpot named the scopes (the webhooks journal's 403s, its token's BAD_SCOPE).
        return NoAccess(redact(
            f"no access to {what}: the app lacks the scope(s) "
            f"{', '.join(error.missing_scopes)} (HubSpot answered {error}). Add them to the "
            f"app's scopes and install it again (docs/operations.md lists the scopes); {done}."))
    if isinstance(error, HubSpotForbiddenError):
        return NoAccess(redact(
            f"no access to {what}: HubSpot answered {error}. Grant the app the type's scopes "
            "(see the scopes table in docs/operations.md, or activate the object in HubSpot); "
            f"{done}."))
    if isinstance(error, HubSpotUnauthorizedError):
        return ConfigurationError(redact(
            f"HubSpot refused the access token ({error}). Check HUBSPOT_ACCESS_TOKEN (or the "
            f"OAuth settings) and the app's scopes; {done}."))
    after = f"; {wording.after}" if wording.after else ""
    if isinstance(error, HubSpotDailyLimitError):
        # The day's budget (or what the reserve leaves of it) is the account's: no other
        # type can get past it either, so sync_hubspot_all stops here.
        return ConfigurationError(redact(f"{wording.failed}: {error}{after}"))
    if error.status == 404:
        # What a run reads are listings that always exist (one missing record is answered
        # per id inside a batch read, never with a 404): a 404 means the requests do not
        # reach HubSpot's API.
        return CommandError(redact(
            f"{wording.failed}: {error}; HUBSPOT_API_BASE_URL={settings.HUBSPOT_API_BASE_URL} "
            f"probably does not point at HubSpot's API (https://api.hubapi.com){after}"))
    return CommandError(redact(f"{wording.failed}: {error}{after}"))


def first_line(error: BaseException) -> str:
    """An error's first line (its class name if it has no text): what one-line messages quote."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
