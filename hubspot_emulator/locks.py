"""423 Locked on high-volume writes (docs/hubspot-api.md#errors; the error handling guide: "Returned
when attempting to sync a large volume of data (e.g., upserting thousands of company records in a
very short period of time). Locks will last for 2 seconds").

Off by default. When on, each object type counts the records written to it (one per single
write, one per batch input, two per merge) over a rolling `window_ms`; the write that would
take the count past `records` is answered 423 and locks the type's writes for `lock_ms`.
Reads are never locked. The thresholds are not documented (*choice*: configurable); the 423
body is the standard error shape with message "Locked" and no category (as the `423` fault).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class WriteLock:
    records: int | None = None  # records per type per window before a lock; None: no lock
    window_ms: int = 1000
    lock_ms: int = 2000
    _log: dict[str, deque] = field(default_factory=dict)
    _until: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: dict | None) -> WriteLock:
        config = dict(config or {})
        unknown = set(config) - {"records", "window_ms", "lock_ms"}
        if unknown:
            raise ValueError(f"unknown write_lock keys {sorted(unknown)}")
        records = config.get("records")
        lock = cls(None if records is None else int(records),
                   int(config.get("window_ms", 1000)), int(config.get("lock_ms", 2000)))
        if (lock.records is not None and lock.records < 1) or lock.window_ms < 1 \
                or lock.lock_ms < 0:
            raise ValueError("write_lock needs records >= 1, window_ms >= 1, lock_ms >= 0")
        return lock

    def admit(self, type_name: str, count: int) -> bool:
        """Whether a write of `count` records to `type_name` may proceed (counts it if so)."""
        now = time.monotonic()
        if self._until.get(type_name, 0.0) > now:
            return False
        if self.records is None:
            return True
        log = self._log.setdefault(type_name, deque())
        edge = now - self.window_ms / 1000
        while log and log[0][0] <= edge:
            log.popleft()
        if sum(n for _, n in log) + count > self.records:
            self.lock(type_name, self.lock_ms)
            log.clear()
            return False
        log.append((now, count))
        return True

    def lock(self, type_name: str, ms: int) -> None:
        """Lock `type_name`'s writes for `ms` milliseconds from now."""
        self._until[type_name] = time.monotonic() + ms / 1000

    def config(self) -> dict:
        return {"records": self.records, "window_ms": self.window_ms, "lock_ms": self.lock_ms}
