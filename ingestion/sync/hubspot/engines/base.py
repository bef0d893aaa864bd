"""HubSpotBaseSyncEngine: HubSpot fetching and transforming on top of BaseSyncEngine.

A standard object type's engine is built from its entry in ingestion/object_types.py
(`for_type`); its typed columns come from the model's fields.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Iterator, Mapping
from datetime import datetime
from types import MappingProxyType

from django.utils import timezone

from ingestion.base.chunks import chunked
from ingestion.base.results import Mode, Page, ReadCheck, RecordFailure, SyncOptions
from ingestion.base.sync_engine import BaseSyncEngine, ProgressCallback
from ingestion.models import OBJECT_MODELS, HubSpotAssociation
from ingestion.object_types import ObjectType

from ..associations import read_links, store_links
from ..client import HubSpotClient
from ..errors import HubSpotAuthError, HubSpotDailyLimitError, HubSpotError
from ..limits import ASSOCIATION_BATCH_MAX, BATCH_READ_MAX, LIST_PAGE_MAX, SEARCH_PAGE_MAX
from ..property_history import (
    HISTORY_KEY,
    changed_since,
    history_names,
    read_history,
    store_history,
)
from ..reconcile import Census, Tally, unchecked
from ..request_stats import CountsRequests
from ..stage_properties import stage_property_names
from ..timeparse import parse_hubspot_datetime, to_epoch_ms
from ..transform import identify, to_row, typed_columns
from ..two_ended import EndPage, Meeting, two_ended_pages

log = logging.getLogger("ingestion.sync")

LIVE = (None, False, "false")  # `archived` of a live record (identify() rejects the rest)


class HubSpotBaseSyncEngine(CountsRequests, BaseSyncEngine):
    # docs/hubspot-api.md#records: contacts say `lastmodifieddate`; the other standard objects say
    # `hs_lastmodifieddate`.
    modified_property = "hs_lastmodifieddate"
    # The creation-time property search filters on (verify); engagements and custom objects
    # say `hs_createdate` (docs/hubspot-api.md#records).
    created_property = "createdate"
    # Object types whose associations (v4) with each saved batch are read and replaced after
    # the batch is written, e.g. ("companies", "deals"). See ..associations.
    association_types: tuple[str, ...] = ()
    # Contacts and companies can be merged (docs/hubspot-api.md#deletions-and-merges).
    mergeable = False
    # The column holding HubSpot's record id (a shared table keys rows otherwise).
    source_id_column = "id"
    # A full read's live pages carry their position (`_positioned`): an unfinished one
    # continues from its last committed batch (base/resume.py; `_full_read`).
    supports_resume = True

    @classmethod
    def for_type(cls, entry: ObjectType) -> type[HubSpotBaseSyncEngine]:
        """The engine class of a standard object type (`HubSpotContactSyncEngine` …): its
        model and quirks from its entry in the table."""
        return type(f"{entry.model_name}SyncEngine", (cls,), {
            "__module__": cls.__module__, "object_type": entry.name,
            "model": OBJECT_MODELS[entry.name], "modified_property": entry.modified_property,
            "created_property": entry.created_property,
            "association_types": entry.associations, "mergeable": entry.mergeable})

    def __init__(self, options: SyncOptions | None = None, *, client: HubSpotClient,
                 on_progress: ProgressCallback | None = None):
        super().__init__(options, on_progress=on_progress)
        self.client = client  # the command's: engines never open or close one
        self.columns = typed_columns(self.model)
        self._property_names: list[str] | None = None
        self.has_related = bool(self.association_types)
        self.association_types = self.association_types if self.options.related else ()
        self.history_names: list[str] = []  # properties whose history this run reads
        # A full read's check against HubSpot's count, and what else it noted (set by the
        # fetch stage when it has read everything: the main thread reads them after).
        self._read_check: ReadCheck | None = None
        self._read_notes: dict[str, str] = {}
        # What a full read knows of its size, for the bar and the ETA (set by the fetch
        # stage, read by the main thread): HubSpot's count at its start, archived listed.
        self._census_taken: Census | None = None
        self._archived_read = 0

    def written_tables(self, *, during: bool = False) -> list[str]:
        # Each batch's links are looked up by (type, 1,000 ids): planned from statistics.
        links = [HubSpotAssociation._meta.db_table] if self.association_types else []
        return [*super().written_tables(during=during), *links]

    def property_names(self) -> list[str]:
        """The properties every read of this type asks for (list, search, batch read by id):
        every property the portal defines for it, custom ones included, and the stage
        calculated ones HubSpot computes without listing them all
        (docs/hubspot-api.md#stage-calculated-properties)."""
        if self._property_names is None:
            listed = self.client.property_names(self.object_type)
            self._property_names = sorted({*listed, *stage_property_names(self.object_type)})
        return self._property_names

    def prepare(self) -> None:
        defined = self.property_names()  # fails fast, before anything is written, on a bad token
        self.history_names = history_names(self.object_type, self.options.history, defined,
                                           stages=self.options.stage_history)

    def history_since(self, mode: Mode, since: datetime | None) -> datetime | None:
        """Records modified from when on get their history read: the run's window; in a full
        run, those changed since the previous run (all of them on the first)."""
        if mode is Mode.IDS:
            return None  # asked for by id because they changed
        if since is not None:
            return since
        previous = self.previous_watermark
        return None if previous is None else previous - self.options.lookback

    def fetch(self, mode: Mode, since: datetime | None) -> Iterator[Page]:
        pages = self._pages_by_id() if mode is Mode.IDS else self._record_pages(since)
        yield from self._read_related_ahead(pages, self.history_since(mode, since))

    def _pages_by_id(self) -> Iterator[list[dict]]:
        """The asked records as HubSpot has them now, 100 per batch read
        (docs/hubspot-api.md#batch-reads): live, else from the recycle bin (archived). A merged-away
        id answers with the record that absorbed it (docs/hubspot-api.md#deletions-and-merges),
        whose `hs_merged_object_ids` names it; an id answered nowhere is archived as vanished when
        the run ends (`_archive_unseen`)."""
        properties = self.property_names()
        asked = list(dict.fromkeys(str(i) for i in self.options.ids))
        for chunk in chunked(asked, BATCH_READ_MAX):
            live = self.client.batch_read(self.object_type, chunk, properties)
            answered = _answered_ids(live)
            missing = [i for i in chunk if i not in answered]
            archived = self.client.batch_read(self.object_type, missing, properties,
                                              archived=True) if missing else []
            if live or archived:
                yield live + archived

    def _record_pages(self, since: datetime | None) -> Iterator[list[dict]]:
        properties = self.property_names()
        page_size = min(self.options.batch_size, LIST_PAGE_MAX)
        if since is None:
            yield from self._full_read(properties, page_size)
            return
        yield from self.client.modified_since_pages(
            self.object_type, self.modified_property, to_epoch_ms(since), properties,
            page_size=min(self.options.batch_size, SEARCH_PAGE_MAX))
        yield from self._archived_pages(properties, page_size, since)

    def _archived_pages(self, properties: list[str], page_size: int,
                        since: datetime | None) -> Iterator[list[dict]]:
        # Search never returns archived records (docs/hubspot-api.md#search): list them separately.
        # The archived listing has no time filter, so a windowed run keeps those archived since.
        for page in self.client.list_pages(self.object_type, properties, archived=True,
                                           page_size=page_size):
            recent = page if since is None else [r for r in page if _archived_since(r, since)]
            if since is None:
                self._archived_read += len(page)
            if recent:
                yield recent

    def _full_read(self, properties: list[str], page_size: int) -> Iterator[list[dict]]:
        """Every live record (both ends, or the list alone), then the archived ones; then the
        read is reconciled with HubSpot's count at its start, and what fell short is re-read
        by the list endpoint (reconcile.py). Runs in the fetch stage."""
        census, top_page = self._census(properties)
        self._census_taken = census
        at = self.resumed.position if self.resumed else {}
        meeting = self._meeting(at, two_ended=top_page is not None)
        live = (two_ended_pages(self.client, self.object_type, properties, page_size=page_size,
                                first_search_page=None if meeting.search_low else top_page,
                                meeting=meeting)
                if top_page is not None else
                self.client.list_pages(self.object_type, properties, page_size=page_size,
                                       from_id=meeting.list_high + 1 if meeting.list_high
                                       else None))
        live = _positioned(live, at, meeting, two_ended=top_page is not None)
        # A resumed read's tally counts the earlier attempts' ids as read (the tally then
        # owns `restored`, in this thread).
        tally = (Tally(census, self.options.lookback,
                       already=self.restored if self.resumed else None) if census else None)
        yield from tally.live_pages(live) if tally else live
        archived = self._archived_pages(properties, page_size, None)
        yield from tally.archived_pages(archived) if tally else archived
        if meeting.search_stopped:
            self._read_notes["search_end"] = (f"stopped ({meeting.search_stopped}); the list "
                                              "end read the rest alone")
        if tally is None:
            return
        reread_from = None
        if tally.missing():
            # Only the list end's own range is known whole: above it, or everywhere when
            # the list end read to the last id (list-only, or the search end gave up).
            reread_from = meeting.list_high + 1 if meeting.list_met else 0
            log.warning("%s: the full read is %d short of HubSpot's count at its start; "
                        "re-reading ids from %d by the list endpoint", self.object_type,
                        tally.missing(), reread_from)
            yield from tally.live_pages(self.client.list_pages(
                self.object_type, properties, page_size=page_size,
                from_id=reread_from or None))
        self._read_check = tally.check(self.object_type, reread_from)

    @staticmethod
    def _meeting(at: dict, *, two_ended: bool) -> Meeting:
        """Where the ends start: from scratch, or where a resumed read's committed pages
        left them (`at`: list_high, search_low, search_top). Resuming, the list end reads on
        above list_high and the search end below search_low: what lies between is all that
        is read again. A read resumed without search (the search end unused now) has the
        list end read on to the last id, the search end's range again included."""
        list_high = at.get("list_high") or 0
        if not two_ended or not at.get("search_low"):
            return Meeting(list_high=list_high)
        return Meeting(list_high=list_high, search_low=at["search_low"],
                       search_top=at.get("search_top"))

    def _census(self, properties: list[str]) -> tuple[Census | None, list | None]:
        """HubSpot's count at the start of a full read (reconcile.py), and the search end's
        first page when the read spends the search budget too (two_ended.py: a type of more
        than a few pages whose properties fit a search body; one request gives both).
        No page: the list endpoint alone reads it. No census: no reconciliation."""
        above = self.options.two_ended_above
        try:
            if above is not None and self.client.search_fits(properties):
                top = self._search_top(properties)
                if top is not None:
                    total, page = top
                    return _census_of(total, page), (page if total > above else None)
            total, page = self.client.search_top(self.object_type, ["hs_object_id"], limit=1)
            return _census_of(total, page), None
        except (HubSpotAuthError, HubSpotDailyLimitError):
            raise  # the list end would meet them too
        except HubSpotError as error:  # e.g. a type without search
            log.warning("%s: HubSpot gave no count (%s): the full read is not reconciled",
                        self.object_type, error)
            self._read_check = unchecked(self.object_type, str(error))
            return None, None

    def _search_top(self, properties: list[str]) -> tuple[int, list] | None:
        """(count, the search end's first page); None if search is unwell (a malformed
        page included): the list endpoint alone reads, and the run notes why."""
        try:
            return self.client.search_top(self.object_type, properties)
        except (HubSpotAuthError, HubSpotDailyLimitError):
            raise
        except HubSpotError as error:
            log.warning("%s: full read by the list endpoint alone (search: %s)",
                        self.object_type, error)
            self._read_notes["search_end"] = f"not used ({error})"
            return None

    def read_check(self) -> ReadCheck | None:
        check = self._read_check
        if check is not None and self._read_notes:
            check = ReadCheck({**check.details, **self._read_notes}, check.short)
        return check

    def transform(self, record: dict) -> tuple[dict, list[str]]:
        return to_row(record, self.columns)

    def identify(self, record: dict) -> dict:
        return identify(record)

    def expected_total(self, mode: Mode, since: datetime | None) -> int | None:
        """By id: the ids asked for. A full read: HubSpot's count of live records at its
        start (the census its read check takes anyway: no request of its own) plus the
        archived records listed so far (HubSpot counts none: search never returns them), so
        the bar and the ETA count what the run reads, live and archived. Else not known."""
        if mode is Mode.IDS:
            return len(self.options.ids)
        census = self._census_taken
        if since is not None or census is None:
            return None
        # A resumed read reads what the earlier attempts did not (base/resume.py).
        return max(0, census.expected + self._archived_read - self.restored_count)

    def after_batch(self, rows: list[dict], related: Mapping[str, object]) -> list[RecordFailure]:
        failures = []
        if self.association_types:
            failures = store_links(self.object_type, self.association_types, rows, related)
        if self.history_names:
            failures += store_history(rows, related)
        return failures

    def absorbed_ids(self, keys: list[dict]) -> dict[str, str]:
        """A merge makes a new record that lists the ids it absorbed in
        `hs_merged_object_ids` (docs/hubspot-api.md#deletions-and-merges); those ids leave list and
        search without being archived, so an incremental run would leave them live here: archive
        them too, as merged into the record that lists them."""
        if not self.mergeable:
            return {}
        merged = [(key["id"], key["record"]["properties"].get("hs_merged_object_ids"))
                  for key in keys]
        if not any(value for _, value in merged):
            return {}
        return {absorbed.strip(): survivor for survivor, value in merged if value
                for absorbed in str(value).split(";")
                if absorbed.strip() and absorbed.strip() != survivor}

    def _read_related_ahead(self, pages: Iterator[list], history_since: datetime | None
                            ) -> Iterator[Page]:
        """In the fetch thread: read the associations of each 1,000 live records (one v4
        request per target type) and, if asked, the property history of those changed since
        `history_since`; hand each page on with what was read for its records, so the
        writer only writes it. Reads take exactly 1,000 ids whatever the page sizes (list
        pages hold 100, search pages 200, a two-ended read's crossing pages fewer): a page
        waits until all its records are read, the next pages' records fill the request."""
        if not (self.association_types or self.history_names) or self.options.dry_run:
            yield from (Page(tuple(page), position=getattr(page, "position", None))
                        for page in pages)
            return
        waiting = _Waiting()
        unread: list[dict] = []  # live records of waiting pages not yet read
        for page in pages:
            live = [r for r in page if isinstance(r, dict) and r.get("id")
                    and r.get("archived") in LIVE]
            waiting.add(page, [str(r["id"]) for r in live])
            unread += live
            while len(unread) >= ASSOCIATION_BATCH_MAX:
                chunk, unread = (unread[:ASSOCIATION_BATCH_MAX],
                                 unread[ASSOCIATION_BATCH_MAX:])
                waiting.related.update(self._related_of(chunk, history_since))
            yield from waiting.pages_read()
        if unread:
            waiting.related.update(self._related_of(unread, history_since))
        yield from waiting.pages_read()

    def _related_of(self, live: list[dict], history_since: datetime | None) -> dict[str, dict]:
        """By id: what was read for these live records (links, and history if asked)."""
        live_ids = [str(r["id"]) for r in live]
        links = read_links(self.client, self.object_type, self.association_types, live_ids)
        changed = [str(r["id"]) for r in live if changed_since(r, history_since)]
        history = read_history(self.client, self.object_type, self.history_names, changed)
        related = {}
        for object_id in live_ids:
            found = dict(links.get(object_id) or {})
            if object_id in history:
                found[HISTORY_KEY] = history[object_id]
            related[object_id] = found
        return related


class _Waiting:
    """Pages whose records' related data is being read, in order, and what was read so far
    (kept while a waiting page holds the id: the two ends' crossing pages can share one)."""

    def __init__(self) -> None:
        self.pages: deque[tuple[list, list[str]]] = deque()
        self.related: dict[str, dict] = {}
        self._holders: Counter[str] = Counter()

    def add(self, page: list, live_ids: list[str]) -> None:
        self.pages.append((page, live_ids))
        self._holders.update(live_ids)

    def pages_read(self) -> Iterator[Page]:
        """The waiting pages up to the first with a record not read yet."""
        while self.pages and all(i in self.related for i in self.pages[0][1]):
            page, live_ids = self.pages.popleft()
            found = {i: self.related[i] for i in live_ids if self.related[i]}
            self._holders.subtract(live_ids)
            for object_id in live_ids:
                if self._holders[object_id] <= 0:
                    self.related.pop(object_id, None)
                    self._holders.pop(object_id, None)
            yield Page(tuple(page), MappingProxyType(
                {i: MappingProxyType(f) for i, f in found.items()}),
                position=getattr(page, "position", None))


class _Positioned(list):
    """A live page of a full read and the read's position once it is saved."""

    position: dict | None = None


def _positioned(pages: Iterator[list], start: dict, meeting: Meeting, *,
                two_ended: bool) -> Iterator[list]:
    """The live pages, each with the read's position after it: the highest id the list
    end handed on, the lowest the search end did (and the top the search end began at: a
    resumed read's last search reads above it). Taken from the pages handed on, not from
    `meeting` (which runs ahead of them, in the ends' threads), so a position never claims
    a record that is not in a page before it. The last search's pages (above the top) are
    plain lists: past the live ends, a resumed read restarts from the last position."""
    list_high, search_low = start.get("list_high"), start.get("search_low")
    for page in pages:
        end = getattr(page, "end", None)
        if two_ended and not isinstance(page, EndPage):
            yield page  # the last search, after both ends: not resumable
            continue
        ids = [int(r["id"]) for r in page if isinstance(r, dict)
               and isinstance(r.get("id"), str) and r["id"].isdigit()]
        if ids and end == "search":
            search_low = min(ids) if search_low is None else min(search_low, *ids)
        elif ids:
            list_high = max(ids) if list_high is None else max(list_high, *ids)
        tagged = _Positioned(page)
        tagged.position = {"list_high": list_high, "search_low": search_low,
                           "search_top": meeting.search_top if search_low else None}
        yield tagged


def _census_of(total: int, top_page: list) -> Census:
    ids = [int(r["id"]) for r in top_page if isinstance(r, dict)
           and isinstance(r.get("id"), str) and r["id"].isdigit()]
    return Census(total, max(ids, default=None), timezone.now())


def _answered_ids(records: list) -> set[str]:
    """Ids a batch read answered for: each record's own, and those it absorbed."""
    answered = set()
    for record in records:
        if isinstance(record, dict) and record.get("id"):
            answered.add(str(record["id"]))
            merged = (record.get("properties") or {}).get("hs_merged_object_ids")
            answered.update(i.strip() for i in str(merged or "").split(";") if i.strip())
    return answered


def _archived_since(record: dict, since: datetime) -> bool:
    try:
        moment = parse_hubspot_datetime(record.get("archivedAt") or record.get("updatedAt"))
    except ValueError:
        return True  # unreadable: let the transform report it as a failure
    return moment is None or moment >= since
