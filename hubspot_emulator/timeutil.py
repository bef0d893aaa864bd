"""Time helpers: the emulated clock and HubSpot's timestamp formats.

All times inside the emulator are integer epoch milliseconds (UTC). HubSpot renders
system timestamps as ISO 8601 with milliseconds and a `Z` (docs/hubspot-api.md#records), and accepts
epoch-ms strings or ISO strings in search filters (docs/hubspot-api.md#search).
"""

from __future__ import annotations

import datetime as dt
import time

DAY_MS = 86_400_000
_EPOCH_DATE = dt.date(1970, 1, 1)
_EPOCH_DT = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_DAY_CACHE: dict[int, str] = {}

# Generated portals are laid out relative to this fixed instant (2026-01-01T00:00:00Z), so the
# same seed gives the same data on any day.
FIXED_EPOCH_MS = 1_767_225_600_000


class Clock:
    """The emulated clock used to stamp writes; frozen by `POST /_emulator/clock`."""

    def __init__(self) -> None:
        self.frozen_ms: int | None = None

    def now_ms(self) -> int:
        if self.frozen_ms is not None:
            return self.frozen_ms
        return time.time_ns() // 1_000_000


def day_str(days: int) -> str:
    """`YYYY-MM-DD` for a day number since 1970 (cached: a portal spans only ~730 days)."""
    s = _DAY_CACHE.get(days)
    if s is None:
        s = (_EPOCH_DATE + dt.timedelta(days=days)).isoformat()
        if len(_DAY_CACHE) < 200_000:
            _DAY_CACHE[days] = s
    return s


_HMS = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]


def iso_ms(ms: int) -> str:
    """`2025-07-07T20:27:17.947Z`: HubSpot's rendering of datetime values
    (docs/hubspot-api.md#records)."""
    secs, millis = divmod(ms, 1000)
    days, second_of_day = divmod(secs, 86_400)
    return f"{day_str(days)}T{_HMS[second_of_day]}.{millis:03d}Z"


def iso_date(ms: int) -> str:
    """`YYYY-MM-DD` for a `date` property (always midnight UTC, docs/hubspot-api.md#records)."""
    return day_str(ms // DAY_MS)


def parse_time_ms(value: object) -> int | None:
    """Epoch ms from an epoch-ms number/string, an ISO datetime or an ISO date; None if invalid."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip()
    if not text:
        return None
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        if len(text) == 10:
            d = dt.date.fromisoformat(text)
            return (d - _EPOCH_DATE).days * DAY_MS
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return (parsed - _EPOCH_DT) // dt.timedelta(milliseconds=1)
