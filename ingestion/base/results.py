"""Plain values the engine hands back: options in, counts and outcome out."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum


class Mode(StrEnum):
    INCREMENTAL = "incremental"  # modified since the watermark (minus the lookback window)
    FULL = "full"  # every record
    SINCE = "since"  # modified at or after a date the user gave


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
    """A record that could not be saved. `reason` never holds the record's values."""

    object_id: str
    reason: str


class RecordError(ValueError):
    """Raised by a transform for a record that cannot be stored."""

    def __init__(self, object_id: str, reason: str):
        super().__init__(reason)
        self.object_id = object_id
        self.reason = reason


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

    @property
    def summary(self) -> str:
        return self.counts.summary(self.object_type, dry_run=self.options.dry_run)
