"""HubSpot's time values (docs/hubspot-api.md#records): ISO 8601 UTC with milliseconds and `Z` in
responses,
`YYYY-MM-DD` for date properties, and epoch milliseconds wherever HubSpot accepts input
(some portals echo them back, e.g. `"1572480000000"`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache


def parse_hubspot_datetime(value: object) -> datetime | None:
    """An aware UTC datetime, or None for empty input. Raises ValueError when unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return _parse_text(value if type(value) is str else str(value))


# A record's times are read more than once (`updatedAt` to plan the batch and again to build
# the row; `createdAt`/`updatedAt` again as the `createdate`/`lastmodifieddate` properties):
# the same strings within a batch, so a small cache halves the parsing. Datetimes are
# immutable, sharing them is safe.
@lru_cache(maxsize=8192)
def _parse_text(text: str) -> datetime:
    text = text.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is UTC:  # HubSpot's own form, `…Z`
        return parsed
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_hubspot_date(value: object) -> date | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    parsed = parse_hubspot_datetime(text)
    return parsed.date() if parsed else None


def to_epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
