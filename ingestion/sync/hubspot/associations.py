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

from ingestion.base.results import RecordFailure
from ingestion.models import HubSpotAssociation

from . import catalog
from .client import HubSpotClient
from .errors import HubSpotAuthError, HubSpotDailyLimitError, HubSpotError

DELETE_CHUNK = 5_000


def sync_associations(client: HubSpotClient, from_type: str, to_types: tuple[str, ...],
                      rows: list[dict]) -> list[RecordFailure]:
    """Replace the associations of `rows` towards each of `to_types`. A target type whose
    links cannot be read fails those records (the run ends partial and the watermark stays,
    so the next run reads them again); a refused token or a spent daily limit stops the run."""
    live = [r["id"] for r in rows if not r.get("archived")]
    archived = [r["id"] for r in rows if r.get("archived")]
    failures: dict[str, RecordFailure] = {}
    for to_type in to_types:
        try:
            links = list(catalog.associations(client, from_type, to_type, live)) if live else []
        except (HubSpotAuthError, HubSpotDailyLimitError):
            raise
        except HubSpotError as error:
            reason = f"associations to {to_type} could not be read: {error}"[:500]
            for object_id in live:
                failures.setdefault(object_id, RecordFailure(object_id, reason))
            replace_associations(from_type, to_type, archived, [])
            continue
        replace_associations(from_type, to_type, live + archived, links)
    return list(failures.values())


def replace_associations(from_type: str, to_type: str, from_ids: list[str],
                         links: list[catalog.Association]) -> None:
    """Make `links` the whole association set of `from_ids` towards `to_type`."""
    if not from_ids:
        return
    synced_at = timezone.now()
    unique = {(a.from_id, a.to_id, a.type_id, a.category): a for a in links}
    with transaction.atomic():
        for start in range(0, len(from_ids), DELETE_CHUNK):
            HubSpotAssociation.objects.filter(
                from_object_type=from_type, to_object_type=to_type,
                from_id__in=from_ids[start:start + DELETE_CHUNK]).delete()
        HubSpotAssociation.objects.bulk_create(
            HubSpotAssociation(from_object_type=from_type, from_id=a.from_id,
                               to_object_type=to_type, to_id=a.to_id,
                               association_type_id=a.type_id, category=a.category,
                               label=a.label, synced_at=synced_at)
            for a in unique.values())
