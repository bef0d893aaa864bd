"""Keeping the association table in step with HubSpot, a batch of records at a time.

Two halves, on two threads (docs/ARCHITECTURE.md#run-time-flow-of-one-object-type):
- `read_links` runs in the fetch stage: for each target type the engine declares, the v4
  batch endpoint reads the links of up to 1,000 live records; the result travels with the
  records' pages as immutable values (`Page.related`).
- `store_links` runs in the writer after a batch is saved: for each record whose links were
  read completely, its set towards that type is replaced (only the difference is written),
  so a link removed upstream disappears. It never calls HubSpot. A record whose links were
  not read (or not completely) keeps its stored links and, if the read failed, fails (the
  run ends partial and the watermark stays, so the next run reads them again). Archived
  records have no live links: theirs are removed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from ingestion.base.bulk_sql import BulkSQL
from ingestion.base.chunks import IDS_PER_STATEMENT, chunked
from ingestion.base.results import RecordFailure
from ingestion.models import HubSpotAssociation

from . import catalog
from .errors import (
    HubSpotAuthError,
    HubSpotDailyLimitError,
    HubSpotError,
    HubSpotForbiddenError,
    HubSpotLoopError,
    HubSpotMalformedReplyError,
    HubSpotWaitTooLongError,
)

log = logging.getLogger("ingestion.sync")
# Not a per-record problem: a refused token, a spent daily limit, a reply that is not what
# HubSpot sends (after its retries) or paging that loops stop the run.
FATAL = (HubSpotAuthError, HubSpotDailyLimitError, HubSpotMalformedReplyError, HubSpotLoopError,
         HubSpotWaitTooLongError)

LinkSet = tuple[catalog.Association, ...] | str  # the links, or why they could not be read
RecordLinks = Mapping[str, LinkSet]  # by target type


def read_links(client, from_type: str, to_types: tuple[str, ...],
               live_ids: list[str]) -> dict[str, RecordLinks]:
    """By record id, by target type: the record's links, or why they could not be read."""
    by_id: dict[str, dict[str, LinkSet]] = {object_id: {} for object_id in live_ids}
    for to_type in to_types if live_ids else ():
        try:
            sets = catalog.associations(client, from_type, to_type, live_ids)
        except HubSpotForbiddenError as error:
            # No access to the target type (the app lacks its scope, or the portal the
            # feature): those links are neither read nor replaced, and nothing fails for
            # them; the type itself is skipped by sync_hubspot_all.
            log.warning("%s: links to %s not read: no access (%s)", from_type, to_type, error)
            continue
        except FATAL:
            raise
        except HubSpotError as error:
            reason = f"associations to {to_type} could not be read: {error}"[:500]
            sets = dict.fromkeys(live_ids, reason)
        for object_id, found in sets.items():
            if isinstance(found, str):
                found = f"associations to {to_type} could not be read: {found}"[:500]
            by_id[object_id][to_type] = found
    return {object_id: MappingProxyType(sets) for object_id, sets in by_id.items()}


def store_links(from_type: str, to_types: tuple[str, ...], rows: list[dict],
                related: Mapping[str, RecordLinks]) -> list[RecordFailure]:
    """Make the links read with `rows` their whole association sets (see module doc)."""
    wanted: dict[tuple[str, str], tuple] = {}
    failures: dict[str, RecordFailure] = {}
    for row in rows:
        object_id = row["id"]
        if row.get("archived"):
            wanted.update({(object_id, to_type): () for to_type in to_types})
            continue
        for to_type, found in (related.get(object_id) or {}).items():
            if to_type not in to_types:
                continue  # read with the links but not a link set (property history)
            if isinstance(found, str):
                failures.setdefault(object_id, RecordFailure(object_id, found))
            else:
                wanted[(object_id, to_type)] = found
    replace_associations(from_type, wanted)
    return list(failures.values())


def replace_associations(from_type: str, wanted_sets: dict[tuple[str, str], tuple | list]
                         ) -> LinkChanges:
    """Make `wanted_sets[(id, to_type)]` the whole association set of each record towards
    that type; sets not named are left as they are.

    Only the difference is written: links gone upstream are deleted, new ones inserted, so
    re-reading an unchanged portal writes nothing. A link whose label changed counts as
    removed and added."""
    if not wanted_sets:
        return LinkChanges(0, 0, 0)
    ids = sorted({object_id for object_id, _ in wanted_sets})
    to_types = sorted({to_type for _, to_type in wanted_sets})
    wanted = {(a.from_id, a.to_type, a.to_id, a.type_id, a.category): a.label
              for links in wanted_sets.values() for a in links}
    distinct = len(wanted)
    with transaction.atomic():
        stale = []
        for chunk in chunked(ids, IDS_PER_STATEMENT):
            for pk, *key, label in HubSpotAssociation.objects.filter(
                    from_object_type=from_type, to_object_type__in=to_types,
                    from_id__in=chunk).values_list(
                    "pk", "from_id", "to_object_type", "to_id", "association_type_id",
                    "category", "label"):
                key = tuple(key)
                if (key[0], key[1]) not in wanted_sets:
                    continue  # a set that was not read: keep it
                if key in wanted and wanted[key] == label:
                    del wanted[key]  # already stored as it is upstream
                else:
                    stale.append(pk)
        unchanged = distinct - len(wanted)
        for chunk in chunked(stale, IDS_PER_STATEMENT):
            HubSpotAssociation.objects.filter(pk__in=chunk).delete()
        synced_at = timezone.now()
        _ASSOCIATION_SQL.insert([
            {"from_object_type": from_type, "from_id": from_id, "to_object_type": to_type,
             "to_id": to_id, "association_type_id": type_id, "category": category,
             "label": label, "synced_at": synced_at}
            for (from_id, to_type, to_id, type_id, category), label in wanted.items()],
            upsert=False)
    return LinkChanges(added=len(wanted), removed=len(stale), unchanged=unchanged)


class LinkChanges(NamedTuple):
    added: int
    removed: int
    unchanged: int


_ASSOCIATION_SQL = BulkSQL(HubSpotAssociation)
