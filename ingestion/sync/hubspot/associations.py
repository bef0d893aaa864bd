"""Keeping the association table in step with HubSpot, a batch of records at a time.

Called from an engine's `after_batch`: for each target type the engine declares, the batch's
associations are read with the v4 batch endpoint and the batch's association set towards
that type is replaced (delete, then insert, in one transaction). So a full sync reads every
link, an incremental run refreshes the links of the records it synced, and a link removed
upstream disappears. Archived records have no live links: theirs are removed.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ingestion.base.bulk_sql import BulkSQL
from ingestion.base.results import RecordFailure
from ingestion.models import HubSpotAssociation

from . import catalog
from .client import HubSpotClient
from .errors import HubSpotAuthError, HubSpotDailyLimitError, HubSpotError

CHUNK = 5_000


Links = list[catalog.Association] | str  # the links, or why they could not be read


def read_links(client: HubSpotClient, from_type: str, to_types: tuple[str, ...],
               live_ids: list[str]) -> dict[str, Links]:
    """Per target type, the links of `live_ids`, or the reason they could not be read. A
    refused token or a spent daily limit is not a per-record problem: it stops the run."""
    links: dict[str, Links] = {}
    for to_type in to_types:
        try:
            links[to_type] = list(catalog.associations(client, from_type, to_type, live_ids)
                                  ) if live_ids else []
        except (HubSpotAuthError, HubSpotDailyLimitError):
            raise
        except HubSpotError as error:
            links[to_type] = f"associations to {to_type} could not be read: {error}"[:500]
    return links


class LinksReadAhead:
    """Links read by the fetch thread as pages arrive, so the save path never waits on HTTP.

    The fetch thread `read()`s each group of records (up to 1,000: one v4 request per target
    type); the save path `take()`s the links of each saved batch and stores them."""

    def __init__(self, client: HubSpotClient, from_type: str, to_types: tuple[str, ...]):
        self.client, self.from_type, self.to_types = client, from_type, to_types
        self._by_id: dict[str, dict[str, Links]] = {}

    def read(self, records: list[dict]) -> None:
        live = [str(r["id"]) for r in records
                if isinstance(r, dict) and r.get("id") and not r.get("archived")]
        for to_type, found in read_links(self.client, self.from_type, self.to_types,
                                         live).items():
            grouped: dict[str, Links] = (
                dict.fromkeys(live, found) if isinstance(found, str) else
                {object_id: [] for object_id in live})
            for link in [] if isinstance(found, str) else found:
                grouped[link.from_id].append(link)
            for object_id, value in grouped.items():
                self._by_id.setdefault(object_id, {})[to_type] = value

    def take(self, rows: list[dict]) -> list[RecordFailure]:
        """Make the links read for `rows` their whole association sets. Links that could not
        be read fail the record (the run ends partial and the watermark stays, so the next run
        reads them again); archived records have no live links, so theirs are removed."""
        self.read([r for r in rows if not r.get("archived") and r["id"] not in self._by_id])
        links = {r["id"]: {} if r.get("archived") else self._by_id.pop(r["id"], {})
                 for r in rows}
        failed = {object_id: RecordFailure(object_id, found)
                  for object_id, by_type in links.items()
                  for found in by_type.values() if isinstance(found, str)}
        replace_associations(self.from_type, self.to_types, {
            object_id: [a for found in by_type.values() for a in found]
            for object_id, by_type in links.items() if object_id not in failed})
        return list(failed.values())


def replace_associations(from_type: str, to_types: tuple[str, ...],
                         links_by_id: dict[str, list[catalog.Association]]) -> None:
    """Make `links_by_id[id]` the whole association set of each record towards `to_types`.

    Only the difference is written: links gone upstream are deleted, new ones inserted, so
    re-reading an unchanged portal writes nothing."""
    if not links_by_id or not to_types:
        return
    ids = list(links_by_id)
    wanted = {(a.from_id, a.to_type, a.to_id, a.type_id, a.category): a.label
              for links in links_by_id.values() for a in links}
    with transaction.atomic():
        stale = []
        for start in range(0, len(ids), CHUNK):
            for pk, *key, label in HubSpotAssociation.objects.filter(
                    from_object_type=from_type, to_object_type__in=to_types,
                    from_id__in=ids[start:start + CHUNK]).values_list(
                    "pk", "from_id", "to_object_type", "to_id", "association_type_id",
                    "category", "label"):
                key = tuple(key)
                if key in wanted and wanted[key] == label:
                    del wanted[key]  # already stored as it is upstream
                else:
                    stale.append(pk)
        for start in range(0, len(stale), CHUNK):
            HubSpotAssociation.objects.filter(pk__in=stale[start:start + CHUNK]).delete()
        synced_at = timezone.now()
        _ASSOCIATION_SQL.insert([
            {"from_object_type": from_type, "from_id": from_id, "to_object_type": to_type,
             "to_id": to_id, "association_type_id": type_id, "category": category,
             "label": label, "synced_at": synced_at}
            for (from_id, to_type, to_id, type_id, category), label in wanted.items()],
            upsert=False)


_ASSOCIATION_SQL = BulkSQL(HubSpotAssociation)
