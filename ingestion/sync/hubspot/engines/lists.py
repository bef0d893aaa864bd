"""Lists (segments) and their memberships.

Every run searches all live lists. A list whose state (`lists.version`: updatedAt, size, last
add/remove, …) differs from the one its stored memberships were read at is read again: GET
with its filters, then every membership, replaced exactly in the writer. Unchanged lists cost
nothing beyond the search. A stored live list the search no longer returns is asked for by id:
a deleted one comes back with `deletedAt` and is archived (its memberships removed); one
HubSpot no longer knows at all is archived as vanished by the next full run's sweep.

A run by id (`SyncOptions.ids`: the lists a webhooks journal entry names as gaining or losing
a member) searches for those lists only and reads each one's memberships again.

Records travel as `{"id": listId, "list": <HubSpot's JSON>}`: the base engine hands each
record its related values by `id`, and HubSpot names a list's id `listId`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from types import MappingProxyType

from ingestion.base.results import Mode, Page, RecordFailure
from ingestion.models import HubSpotList, HubSpotListMembership

from .. import lists
from ..limits import MEMBERSHIPS_PAGE_MAX
from ..timeparse import parse_hubspot_datetime
from .definitions import integer
from .marketing import RESUME_POSITION, HubSpotMarketingSyncEngine


class HubSpotListSyncEngine(HubSpotMarketingSyncEngine):
    object_type = "lists"
    model = HubSpotList

    def probe(self) -> None:
        self.client.request("POST", f"{self.client.paths.lists()}/search",
                            json={"query": "", "offset": 0, "count": 1}, search=True,
                            shape=lists.ListSearchPage)

    def stored(self):
        return {pk: (version, archived) for pk, version, archived in
                HubSpotList.objects.values_list("pk", "membership_version", "archived")}

    def written_tables(self, *, during: bool = False) -> list[str]:
        return [*super().written_tables(during=during), HubSpotListMembership._meta.db_table]

    # -- the fetch stage -----------------------------------------------------------------------

    def fetch(self, mode: Mode, since: datetime | None) -> Iterator[Page]:
        seen: set[str] = set()
        asked = None if mode is not Mode.IDS else [str(i) for i in self.options.ids]
        for page in lists.search_pages(self.client, asked):
            seen.update(str(lst.get("listId")) for lst in page if isinstance(lst, dict))
            # A page per list: each list's batch commits (and moves the checkpoint) as soon
            # as its memberships are read, not once a whole search page's are.
            for lst in page:
                yield self._page([self._definition(lst, mode, since)])
        # Search leaves out deleted lists (and offset paging can skip one that moved): ask
        # for the stored live ones it did not return (by id: the asked ones).
        missing = [pk for pk in asked if pk not in seen] if asked is not None else [
            pk for pk, (_, archived) in self.snapshot.items() if not archived and pk not in seen]
        if missing:
            yield self._page([(lists.get_list(self.client, pk), True) for pk in missing])

    def _definition(self, lst: object, mode: Mode, since: datetime | None
                    ) -> tuple[object, bool]:
        """(the list as it will be stored, whether its memberships are to be read)."""
        if not isinstance(lst, dict) or not lst.get("listId"):
            return lst, False  # (one without an id fails in the transform)
        if self._changed(lst, mode, since):
            return self._read_definition(lst), True
        if self.options.force_overwrite:  # (resumed) rewritten whole: with its filters
            return self._read_definition(lst), False
        return lst, False

    def _page(self, items: list[tuple[object, bool]]) -> Page:
        """The lists of a page, with the memberships of those read again (deleted lists have
        none). None: gone since the search (a full run sweeps it)."""
        records, related = [], {}
        for lst, read_members in items:
            if lst is None:
                continue
            if not isinstance(lst, dict):
                records.append(lst)  # not a list at all: the engine records the failure
                continue
            list_id = str(lst.get("listId"))
            if read_members and lst.get("deletedAt") is None and self.reads_related():
                related[list_id] = lists.read_members(self.client, lst, lists.version(lst))
            records.append({"id": list_id, "list": lst})
        return Page(tuple(records), MappingProxyType(related), RESUME_POSITION)

    # -- what a run will cost (`--plan`, plan.py `plan_with_related`) --------------------------

    def plan_reads(self, mode: Mode, since: datetime | None, counts) -> tuple[int, int]:
        """(the lists the run reads, the requests it makes for them beyond the search, which
        is asked here as the run asks it: its answer carries each list's size): each list
        read again costs its definition and its memberships, 250 a request (`_definition`,
        `_page`); a stored live list the search leaves out is asked for by id."""
        found, requests, seen = 0, 0, set()
        for page in lists.search_pages(self.client):
            for lst in page:
                if not isinstance(lst, dict) or not lst.get("listId"):
                    continue
                found += 1
                seen.add(str(lst["listId"]))
                requests += self._plan_requests(lst, mode, since)
        missing = [pk for pk, (_, archived) in self.snapshot.items()
                   if not archived and pk not in seen]
        return found, requests + len(missing)

    def _plan_requests(self, lst: dict, mode: Mode, since: datetime | None) -> int:
        changed = self._changed(lst, mode, since)
        if not (changed or self.options.force_overwrite):
            return 0
        definition = 0 if self.options.dry_run else 1
        if not (changed and self.reads_related()):
            return definition
        members = lists.size_of(lst) or 0
        return definition + max(1, math.ceil(members / MEMBERSHIPS_PAGE_MAX))

    def _changed(self, lst: dict, mode: Mode, since: datetime | None) -> bool:
        if self.reads_everything(mode) and not self.committed_before(str(lst.get("listId"))):
            return True
        stored_version, archived = self.snapshot.get(str(lst.get("listId")), (None, False))
        if archived or stored_version != lists.version(lst):
            return True  # new, changed, or restored upstream (its members were dropped here)
        after = self.since_for(mode, since)
        if after is None:
            return False
        try:
            changed = lists.changed_at(lst)
        except ValueError:
            return True  # unreadable times: read it again rather than miss a change
        return changed is None or changed >= after

    def _read_definition(self, lst: dict) -> dict | None:
        """The list with its filters and size (search carries neither); in a dry run the
        search answer will do: nothing is written."""
        if self.options.dry_run:
            return lst
        full = lists.get_list(self.client, str(lst["listId"]))
        if full is None:
            return None
        # Keep search's additionalProperties (GET has none): the version is computed on them.
        return {**full, "additionalProperties": lst.get("additionalProperties") or {}}

    # -- the main thread -------------------------------------------------------------------------

    def row(self, item: dict) -> tuple[dict, dict]:
        data = item["list"]
        list_id = str(data["listId"])
        return data, {
            "id": list_id, "name": data.get("name"),
            "object_type_id": str(data["objectTypeId"]),
            "processing_type": str(data["processingType"]),
            "processing_status": data.get("processingStatus"),
            "list_version": integer(data.get("listVersion")),
            "filters": data.get("filterBranch"), "size": lists.size_of(data),
            "deleted_at": parse_hubspot_datetime(data.get("deletedAt")),
            # Kept as stored: the writer sets it once the memberships are stored.
            "membership_version": self.snapshot.get(list_id, (None, False))[0]}

    def transform(self, item) -> tuple[dict, list[str]]:
        row, notes = super().transform(item)
        if row["deleted_at"] is not None:  # lists say deletedAt, not archived/archivedAt
            row.update(archived=True, archived_at=row["deleted_at"])
        return row, notes

    # -- the writer ------------------------------------------------------------------------------

    def after_batch(self, rows: list[dict], related) -> list[RecordFailure]:
        self.record_repairs(related)
        return lists.store_memberships(rows, related)

    def _archive_unseen(self, mode: Mode, started: datetime) -> int:
        archived = super()._archive_unseen(mode, started)
        if archived and not self.options.dry_run:
            lists.drop_memberships_of_archived_lists()  # a swept list keeps no members
        return archived
