"""Lists (segments): reading them and their memberships (fetch stage), and making the stored
memberships exactly HubSpot's (writer). Like associations.py, the two halves run on two
threads and only immutable values (`MemberSet`) pass between them.

HubSpot quirks (lists v3 reference; SDK models):
- Search pages by offset: the reply's `offset` is the next one and `hasMore` says whether to
  go on; `count` is at most 500. Results carry no filters and no `size`: `size` comes as the
  string `additionalProperties.hs_list_size`, filters only from GET `…/{listId}?
  includeFilters=true`, answered as `{"list": {…}}`.
- Search does not return deleted lists; GET still answers one (with `deletedAt`) while it
  can be restored (90 days).
- Memberships page with an `after` cursor, `limit` at most 250, entries `{recordId,
  membershipTimestamp}`.
- A membership change need not move `updatedAt` (that follows the definition); it moves
  `hs_list_size` and `hs_last_record_added_at` / `hs_last_record_removed_at`. `version()`
  takes all of them, so a list whose version is unchanged needs no membership read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from django.utils import timezone

from ingestion.base.chunks import IDS_PER_STATEMENT, chunked
from ingestion.base.results import RecordFailure
from ingestion.base.writer import key_too_long, write_each_alone
from ingestion.models import HubSpotList, HubSpotListMembership

from .associations import FATAL
from .client import HubSpotClient
from .errors import HubSpotClientError, HubSpotError, HubSpotLoopError
from .limits import LISTS_SEARCH_MAX, MEMBERSHIPS_PAGE_MAX
from .replies import REPAIRED, Listing
from .timeparse import parse_hubspot_datetime


class ListSearchPage(Listing, kw_only=True):
    """`{lists, offset, hasMore, total}`: `lists` read as `results`."""

    results: list[Any] = msgspec.field(name="lists")
    offset: int
    has_more: bool = msgspec.field(name="hasMore")


class ListReply(msgspec.Struct):
    """`{"list": {…}}` (GET one list)."""

    list_: dict[str, Any] = msgspec.field(name="list")

    @property
    def results(self) -> list[dict]:  # what replies.decode repairs text in
        return [self.list_]


@dataclass(frozen=True)
class MemberSet:
    """What the fetch stage read of one list: its members (record id, added at), the list
    state they were read at, and HubSpot's size then."""

    object_type_id: str
    members: tuple[tuple[str, datetime | None], ...]
    version: str
    size: int | None
    repaired: tuple[str, ...] = ()  # text repaired in its entries (replies.py), as warnings


# -- the fetch stage ---------------------------------------------------------------------------

def search_pages(client: HubSpotClient, list_ids: list[str] | None = None
                 ) -> Iterator[list[dict]]:
    """Every live list (search with an empty query), or those of `list_ids`, a page at a
    time."""
    path = f"{client.paths.lists()}/search"
    offset = 0
    while True:
        body = {"query": "", "offset": offset, "count": LISTS_SEARCH_MAX}
        if list_ids is not None:
            body["listIds"] = list_ids
        # Paced like a CRM search (5/s): HubSpot does not say which budget it uses.
        reply = client.request("POST", path, json=body, search=True, shape=ListSearchPage)
        if reply.results:
            yield reply.results
        if not reply.has_more:
            return
        if reply.offset <= offset:
            raise HubSpotLoopError(f"POST {path} answered offset {reply.offset} after "
                                   f"{offset}: paging would never end; stopping")
        offset = reply.offset


def get_list(client: HubSpotClient, list_id: str) -> dict | None:
    """One list with its filters and size; None if HubSpot has no such list (404)."""
    try:
        return client.request("GET", client.paths.list(list_id),
                              params={"includeFilters": "true"}, shape=ListReply).list_
    except HubSpotClientError as error:
        if error.status == 404:
            return None
        raise


def read_members(client: HubSpotClient, lst: dict, version: str) -> MemberSet | str:
    """The list's whole membership, or (a failure for this list alone) why not."""
    list_id = str(lst["listId"])
    repaired: list[str] = []
    try:
        members = tuple(_member_pages(client, list_id, repaired))
        size = size_of(lst)
    except HubSpotLoopError as error:
        # A cursor that repeats is this list's paging broken, not the account's: the list
        # fails alone (its version is not stored, so the next run reads it again).
        return f"memberships could not be read: {error}"[:500]
    except FATAL:
        raise
    except HubSpotError as error:
        return f"memberships could not be read: {error}"[:500]
    except (KeyError, TypeError, ValueError) as error:
        return f"unreadable membership entry: {type(error).__name__}: {error}"[:500]
    return MemberSet(str(lst.get("objectTypeId") or ""), members, version, size,
                     tuple(repaired))


def _member_pages(client: HubSpotClient, list_id: str, repaired: list[str]
                  ) -> Iterator[tuple[str, datetime | None]]:
    path = client.paths.list_memberships(list_id)
    for results in client.get_pages(path, {"limit": MEMBERSHIPS_PAGE_MAX}):
        for entry in results:
            record_id = str(entry["recordId"])
            if not record_id:
                raise ValueError("an entry without a recordId")
            too_long = key_too_long(record_id)
            if too_long:  # fails the list alone, on every database alike
                raise ValueError(f"a member's recordId is too long: {too_long}")
            repaired += [f"member {record_id}: {note}" for note in entry.get(REPAIRED, ())]
            yield record_id, parse_hubspot_datetime(entry.get("membershipTimestamp"))


def version(lst: dict) -> str:
    """The list state its memberships depend on (see the module doc), as one string."""
    props = lst.get("additionalProperties") or {}
    parts = (lst.get("updatedAt"), lst.get("filtersUpdatedAt"), lst.get("listVersion"),
             props.get("hs_list_size", lst.get("size")), props.get("hs_last_record_added_at"),
             props.get("hs_last_record_removed_at"))
    return "|".join("" if p is None else str(p) for p in parts)


def changed_at(lst: dict) -> datetime | None:
    """The list's latest change HubSpot reports: definition, filters or members."""
    props = lst.get("additionalProperties") or {}
    moments = [lst.get("updatedAt"), lst.get("filtersUpdatedAt"),
               props.get("hs_last_record_added_at"), props.get("hs_last_record_removed_at")]
    parsed = [parse_hubspot_datetime(m) for m in moments if m not in (None, "")]
    return max(parsed, default=None)


def size_of(lst: dict) -> int | None:
    size = lst.get("size", (lst.get("additionalProperties") or {}).get("hs_list_size"))
    return None if size in (None, "") else int(size)


# -- the writer --------------------------------------------------------------------------------

def store_memberships(rows: list[dict], related: Mapping[str, MemberSet | str]
                      ) -> list[RecordFailure]:
    """Make the memberships read with `rows` each list's whole set (only the difference is
    written); an archived list has none. A list whose memberships were not read keeps them;
    one whose read failed fails (its version is not stored, so the next run reads again)."""
    wanted: dict[str, MemberSet | None] = {}
    failures = []
    for row in rows:
        found = related.get(row["id"])
        if row.get("archived"):
            wanted[row["id"]] = None
        elif isinstance(found, str):
            failures.append(RecordFailure(row["id"], found))
        elif found is not None:
            wanted[row["id"]] = found
    # A list whose members no column can hold fails alone; the others are stored.
    return failures + write_each_alone(wanted, _replace, "memberships")


def _replace(wanted: Mapping[str, MemberSet | None]) -> None:
    ids = sorted(wanted)
    target = {(list_id, record_id): added for list_id, found in wanted.items() if found
              for record_id, added in found.members}
    stale = []
    for chunk in chunked(ids, IDS_PER_STATEMENT):
        for pk, list_id, record_id, added in HubSpotListMembership.objects.filter(
                list_id__in=chunk).values_list(
                "pk", "list_id", "record_id", "added_at"):
            key = (list_id, record_id)
            if key in target and target[key] == added:
                del target[key]  # stored as it is upstream
            else:
                stale.append(pk)
    for chunk in chunked(stale, IDS_PER_STATEMENT):
        HubSpotListMembership.objects.filter(pk__in=chunk).delete()
    synced_at = timezone.now()
    HubSpotListMembership.objects.bulk_create(
        [HubSpotListMembership(list_id=list_id, record_id=record_id, added_at=added,
                               object_type_id=wanted[list_id].object_type_id,
                               synced_at=synced_at)
         for (list_id, record_id), added in target.items()], batch_size=1000)
    for list_id, found in wanted.items():
        if found is not None:  # the state these members were read at, and its size
            HubSpotList.objects.filter(pk=list_id).update(membership_version=found.version,
                                                          size=found.size)


def drop_memberships_of_archived_lists() -> int:
    """Lists archived outside the save path (the full run's sweep) lose their members too."""
    archived = HubSpotList.objects.filter(archived=True).values("pk")
    deleted, _ = HubSpotListMembership.objects.filter(list_id__in=archived).delete()
    return deleted
