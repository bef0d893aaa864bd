"""Opt-in property history: every change of the chosen properties, in one long table
(`hubspot_property_history`), for records changed in the run.

Like links (associations.py), in two halves on two threads:
- `read_history` runs in the fetch stage: a batch read with `propertiesWithHistory` for the
  records of a page group modified since the run's history threshold (the incremental
  window; in a full run, the previous watermark: the records that changed since the last
  run, or all of them on the first). HubSpot takes at most 50 inputs per such request
  (docs/hubspot-api.md#property-history). The versions travel with the records' pages
  (`Page.related`, under HISTORY_KEY beside the links by target type).
- `store_history` runs in the writer after the batch is saved: inserts the versions,
  ignoring those already stored. A version's key is a digest of the version itself, so a
  re-read adds nothing, and no foreign key ties it to the record: a force overwrite of the
  record keeps its history.

Which properties: `--with-history PROP[,PROP…]` or HUBSPOT_PROPERTY_HISTORY, as entries
`name` (any type that defines it) or `type:name` (that type; an unknown name is an error);
and, unless HUBSPOT_STAGE_HISTORY is false, the stage properties (STAGE_HISTORY: deal stage,
lifecycle stage) wherever the type defines them. The analysts' views over the table (time
ranges, each record as of any time) are history_views.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from django.utils import timezone

from ingestion.base.results import RecordFailure
from ingestion.models import HubSpotPropertyHistory

from .errors import HubSpotAuthError, HubSpotError, HubSpotRateLimitError
from .limits import HISTORY_BATCH_MAX
from .timeparse import parse_hubspot_datetime

HISTORY_KEY = "propertiesWithHistory"  # in a record's related mapping, beside its links

Versions = tuple[dict, ...] | str  # a record's history rows, or why they could not be read


# The history kept by default (HUBSPOT_STAGE_HISTORY): each type's stage property, the one
# analysts ask "how long in each stage" and "as of a date" of.
STAGE_HISTORY = {"deals": "dealstage", "contacts": "lifecyclestage",
                 "companies": "lifecyclestage"}


class UnknownHistoryProperty(HubSpotError):
    """A property asked for by type (`contacts:foo`, or on that type's command) that the
    type does not define."""


def history_names(object_type: str, entries: tuple[str, ...], defined: list[str], *,
                  stages: bool = False) -> list[str]:
    """The properties of `object_type` whose history to read, from `type:name` / `name`
    entries, and with `stages` its stage property (STAGE_HISTORY) if it defines it; raises
    UnknownHistoryProperty for a `type:name` the type does not define."""
    wanted, unknown = [], []
    known = set(defined)
    if stages and STAGE_HISTORY.get(object_type) in known:
        wanted.append(STAGE_HISTORY[object_type])
    for entry in entries:
        kind, sep, name = entry.rpartition(":")
        if sep and kind != object_type:
            continue
        if name in known:
            wanted.append(name)
        elif sep:
            unknown.append(name)
    if unknown:
        raise UnknownHistoryProperty(
            f"--with-history: {object_type} has no property named "
            f"{', '.join(map(repr, unknown))} (names are the internal ones, e.g. lifecyclestage)")
    return sorted(set(wanted))


def read_history(client, object_type: str, names: list[str],
                 ids: list[str]) -> dict[str, Versions]:
    """By record id: its versions of `names` as rows, or why they could not be read."""
    if not ids or not names:
        return {}
    try:
        records = client.batch_read_history(object_type, ids, names, HISTORY_BATCH_MAX)
    except HubSpotError as error:
        if error.status is None or isinstance(error, HubSpotAuthError | HubSpotRateLimitError):
            raise  # not about these records: the run stops, as for any read
        reason = f"property history could not be read: {error}"[:500]
        return dict.fromkeys(ids, reason)
    found: dict[str, Versions] = {}
    for record in records:
        object_id = str(record.get("id") or "") if isinstance(record, dict) else ""
        if object_id not in ids:
            continue  # not asked for (or a merged survivor answering for another id)
        try:
            found[object_id] = tuple(history_rows(object_type, object_id, record, names))
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            found[object_id] = f"unreadable property history: {type(error).__name__}: {error}"[
                :500]
    return found


def history_rows(object_type: str, object_id: str, record: dict, names: list[str]) -> list[dict]:
    """HubSpot's `propertiesWithHistory` of one record as rows (ValueError if malformed)."""
    history = record.get(HISTORY_KEY) or {}
    if not isinstance(history, dict):
        raise ValueError("`propertiesWithHistory` is not an object")
    rows = []
    for name in names:
        for version in history.get(name) or ():
            rows.append(_row(object_type, object_id, name, version))
    return rows


def _row(object_type: str, object_id: str, name: str, version: dict) -> dict:
    timestamp = parse_hubspot_datetime(version["timestamp"])
    if timestamp is None:
        raise ValueError(f"a version of {name} has no timestamp")
    value = version.get("value")
    value = None if value is None else str(value)
    source = [version.get(k) for k in ("sourceType", "sourceId", "sourceLabel")]
    source = [None if s is None else str(s) for s in source]
    user = version.get("updatedByUserId")
    return {"key": _key(object_type, object_id, name, timestamp, value, source),
            "object_type": object_type, "object_id": object_id, "property": name,
            "value": value, "timestamp": timestamp, "source_type": source[0],
            "source_id": source[1], "source_label": source[2],
            "updated_by_user_id": None if user in (None, "") else int(user)}


def _key(object_type: str, object_id: str, name: str, timestamp: datetime,
         value: str | None, source: list[str | None]) -> str:
    parts = [object_type, object_id, name, timestamp.isoformat(), value, *source[:2]]
    text = "\x1f".join("\x00" if p is None else p for p in parts)
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def store_history(rows: list[dict], related: Mapping[str, Mapping]) -> list[RecordFailure]:
    """Insert the versions read with `rows` (those already stored are left alone)."""
    versions, failures = [], []
    synced_at = timezone.now()
    for row in rows:
        found = (related.get(row["id"]) or {}).get(HISTORY_KEY)
        if isinstance(found, str):
            failures.append(RecordFailure(row["id"], found))
        elif found:
            versions.extend(HubSpotPropertyHistory(**v, synced_at=synced_at) for v in found)
    if versions:
        HubSpotPropertyHistory.objects.bulk_create(versions, batch_size=1000,
                                                   ignore_conflicts=True)
    return failures


def changed_since(record: object, since: datetime | None) -> bool:
    """Whether a live record was modified at or after `since` (None: always)."""
    if since is None:
        return True
    try:
        modified = parse_hubspot_datetime(record.get("updatedAt"))
    except (AttributeError, ValueError):
        return True  # unreadable: its read fails the record, not the run
    return modified is None or modified >= since
