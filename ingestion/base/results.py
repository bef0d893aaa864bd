"""Plain values the engine hands back: options in, counts and outcome out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .progress import RunProgress


class Mode(StrEnum):
    INCREMENTAL = "incremental"  # modified since the watermark (minus the lookback window)
    FULL = "full"  # every record
    SINCE = "since"  # modified at or after a date the user gave
    IDS = "ids"  # these records, read by id (verify --fix, webhook events, restores)
    # Runs that read no records (their own jobs; recorded in sync_history like the rest):
    LINKS = "links"  # the association sets of every stored live record
    DELETIONS = "deletions"  # ids only: archive what vanished, restore what came back
    VERIFY = "verify"  # compare the mirror with HubSpot
    EVENTS = "events"  # apply stored webhook events
    CHANGES = "changes"  # read the webhooks journal into events, and apply them


JOB_MODES = (Mode.LINKS, Mode.DELETIONS, Mode.VERIFY, Mode.EVENTS, Mode.CHANGES)  # report `details`


@dataclass(frozen=True)
class SyncOptions:
    full: bool = False
    since: datetime | None = None
    force_overwrite: bool = False
    dry_run: bool = False
    batch_size: int = 1000
    max_records: int | None = None
    # Whether `after_batch` syncs what hangs off each record (HubSpot: its associations).
    related: bool = True
    # How far before the watermark an incremental run starts again: covers changes that
    # reached the source's query index late, and clock skew. Re-read rows are skipped.
    lookback: timedelta = timedelta(minutes=5)
    # Read exactly these records (source ids) instead of a listing: Mode.IDS.
    ids: tuple[str, ...] | None = None
    # Drop the personal data of rows that vanished from the source (HUBSPOT_PURGE_VANISHED).
    purge_vanished: bool = False
    # Properties whose change history to keep: `name` (every type defining it) or
    # `type:name` (that type only; unknown there is an error). --with-history.
    history: tuple[str, ...] = ()
    # ... and the history of the source's stage properties besides (kept where the type
    # defines one; never an error): HUBSPOT_STAGE_HISTORY, set by the sync commands.
    stage_history: bool = False
    # Full reads of types with more live records than this read from both ends of the id
    # range at once (HubSpot: list + search, two budgets); None: the list alone.
    # --list-only, HUBSPOT_TWO_ENDED_READS, HUBSPOT_TWO_ENDED_MIN_RECORDS.
    two_ended_above: int | None = 2_000
    # Seconds between progress log lines where no terminal bar shows progress (base/progress.py;
    # HUBSPOT_PROGRESS_LOG_SECONDS, set by the sync commands). None or 0: no lines.
    progress_every: float | None = None
    # An unfinished full read's checkpoint older than this is discarded, and the read starts
    # over (base/resume.py; HUBSPOT_RESUME_MAX_AGE_HOURS). None: no bound.
    resume_max_age: timedelta | None = timedelta(hours=24)

    def __post_init__(self) -> None:
        if self.full and self.since:
            raise ValueError("--full and --since cannot be used together")
        if not 1 <= self.batch_size <= 10_000:
            raise ValueError(f"--batch-size must be between 1 and 10000, not {self.batch_size}")
        if self.max_records is not None and self.max_records < 1:
            raise ValueError(f"--max-records must be at least 1, not {self.max_records}")


@dataclass
class SyncCounts:
    fetched: int = 0
    created: int = 0
    updated: int = 0
    overwritten: int = 0
    skipped: int = 0
    archived: int = 0
    failed: int = 0

    def add(self, other: SyncCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def summary(self, object_type: str, *, dry_run: bool = False) -> str:
        pairs = " ".join(f"{k}={v}" for k, v in self.as_dict().items())
        return f"{object_type}: {pairs}" + (" (dry run: nothing was written)" if dry_run else "")


@dataclass(frozen=True)
class RecordFailure:
    """A record that could not be saved (or, as a warning, was saved with a repair).
    `reason` never holds the record's values."""

    object_id: str
    reason: str


class Grant(NamedTuple):
    """An OAuth grant: the access token, the refresh token, when the access token expires
    (epoch seconds) and how long it was issued for."""

    access_token: str
    refresh_token: str
    expires_at: float
    lifetime: float = 1800.0

    def due(self, now: float) -> bool:
        """Time to refresh: shortly before expiry (2 minutes, or a tenth of a short life)."""
        return now >= self.expires_at - min(120.0, self.lifetime / 10)


@dataclass(frozen=True)
class Page:
    """What the fetch stage hands on: a page of source records and what was read with them
    for the save path (HubSpot: each live record's links, by id then target type). The fetch
    stage does all I/O with the source; the save path only reads these values."""

    records: tuple
    related: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    # Where the read is once this page is saved (an engine that resumes: base/resume.py).
    position: dict | None = None


class RecordError(ValueError):
    """Raised by a transform for a record that cannot be stored."""

    def __init__(self, object_id: str, reason: str):
        super().__init__(reason)
        self.object_id = object_id
        self.reason = reason


@dataclass(frozen=True)
class ReadCheck:
    """A full read measured against the source's own count of records at its start
    (HubSpot: sync/hubspot/reconcile.py). `details` go to `sync_history.details`; `short`,
    when set, says the read fell short (expected, read, the gap): the run is partial."""

    details: dict
    short: str = ""
    # Set when the run continued an unfinished full read (base/resume.py): from where.
    resumed_from: str = ""


@dataclass
class SyncResult:
    object_type: str
    mode: Mode
    options: SyncOptions
    counts: SyncCounts = field(default_factory=SyncCounts)
    status: str = "running"
    complete: bool = True  # False when --max-records cut the run short
    watermark: datetime | None = None  # set when this run moved the watermark
    failures: list[RecordFailure] = field(default_factory=list)
    history_id: int | None = None
    # Failures that are quarantined (failed alike in 3 runs in a row): listed, not counted
    # as failed, and holding back neither the watermark nor the sweep.
    quarantined: int = 0
    # Entries that were not records at all (no id): the run cannot know every id it read,
    # so a full run does not sweep.
    unidentified: int = 0
    records_watermark: datetime | None = None  # records only (a --skip-associations run)
    details: dict = field(default_factory=dict)  # what other kinds of run measure
    # Set when a full read fell short of the source's count (ReadCheck.short): partial.
    short: str = ""
    # Set when the run continued an unfinished full read (base/resume.py): from where.
    resumed_from: str = ""
    # The run's progress reports, set by the runner (runner.run_recorded) before the work
    # starts: the work tells it of each chunk that commits.
    progress: RunProgress | None = field(default=None, repr=False, compare=False)

    @property
    def summary(self) -> str:
        if self.mode in JOB_MODES:
            pairs = " ".join(f"{k}={v}" for k, v in self.details.items() if isinstance(v, int))
            return (f"{self.object_type} {self.mode}: {pairs}"
                    + (f" ({self.resumed_from})" if self.resumed_from else "")
                    + (" (dry run: nothing was written)" if self.options.dry_run else ""))
        line = self.counts.summary(self.object_type)
        if self.quarantined:
            line += f" quarantined={self.quarantined}"
        if self.resumed_from:
            line += f" ({self.resumed_from})"
        return line + (" (dry run: nothing was written)" if self.options.dry_run else "")
