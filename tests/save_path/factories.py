"""Captured-shape HubSpot JSON for save-path tests (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ingestion.base.sync_engine import BaseSyncEngine
from ingestion.models import HubSpotContact
from ingestion.sync.hubspot.transform import to_row, typed_columns

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def iso(moment: datetime) -> str:
    millis = f"{moment.microsecond // 1000:03d}"
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + millis + "Z"


def contact(n: int, *, modified: datetime | None = None, archived: bool = False, **props) -> dict:
    modified = modified or T0 + timedelta(minutes=n)
    properties = {"hs_object_id": str(n), "createdate": iso(T0), "lastmodifieddate": iso(modified),
                  "email": f"person{n}@example.com", "firstname": f"First{n}",
                  "lastname": f"Last{n}", "favorite_color": "blue", **props}
    record = {"id": str(n), "properties": properties, "createdAt": iso(T0),
              "updatedAt": iso(modified), "archived": archived}
    if archived:
        record["archivedAt"] = iso(modified)
    return record


class CannedContactEngine(BaseSyncEngine):
    """The real base engine and transform, fed captured pages instead of HTTP."""

    object_type = "contacts"
    model = HubSpotContact
    columns = typed_columns(HubSpotContact)

    def __init__(self, pages: list[list[dict]], options=None, **kwargs):
        super().__init__(options, **kwargs)
        self.pages = pages

    def fetch(self, mode, since):
        yield from self.pages

    def transform(self, record):
        return to_row(record, self.columns)
