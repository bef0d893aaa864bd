"""Two-ended full reads: the list endpoint reads ids upwards while search reads them
downwards, at the same time, until the two ends meet.

Why: HubSpot's search API has its own budget (5 requests/s x 200 records) and its answers
carry no ten-secondly headers (docs/hubspot-api.md#search, #dated-paths: search is exempt from the
ten-secondly limit), so a full read that spends both budgets approaches 1,900 + 1,000
records/s on Pro instead of the list endpoint's 1,900.

How, without missing or repeating records:
- the list end pages by id as ever (`client.list_pages`); the search end pages by id
  downwards, each page a fresh query `hs_object_id < lowest read` sorted descending, so it
  never pages past search's 10,000-result cap and records changing mid-run cannot shift;
- `Meeting` holds the highest id the list end read and the lowest the search end read: each
  end stops once they cross, and each hands on only ids the other has not read (an id can be
  read twice only in the instant the two pages cross; the engine keeps the newer copy);
- the search end starts at the top as it was when it started: records created during the
  run have higher ids, so when both ends are done, a last search reads every id above that
  top (search lags writes by seconds: what it misses, the next incremental run reads, as the
  watermark is never past the run's start);
- archived records are not in either end: the engine lists them separately as before.
If the search end fails, the list end carries on to the last id alone: it is the fallback.
That includes a search page that breaks its own order (an id not below the page's bound or
the id before it, as numbers: `client.falling_ids`), e.g. a search that compares ids as
text: malformed, retried, then the search end stops (`Meeting.search_stopped` says why).
Where the ends meet can still be wrong in ways no single page shows (a search whose text
order is self-consistent on every page): the engine reconciles the whole read with
HubSpot's count (reconcile.py) and re-reads above `Meeting.list_high` by the list endpoint.

Resuming a stopped read (base/resume.py): each end's pages are tagged (`EndPage.end`), and
the engine (engines/base.py `_positioned`) checkpoints, with each committed batch, the
highest id of the list end's pages and the lowest of the search end's handed on so far
(and where the search end began). Taken from the pages handed on, never from `Meeting`,
which runs ahead in the ends' threads: a position never claims a record not yet committed.
A resumed read starts a `Meeting(list_high=, search_low=, search_top=)` there: the list end
reads on above list_high, the search end below search_low (no first page from the top), so
only the range between them and the pages past the last commit are read again; the last
search reads above the first attempt's top, so records created between the attempts are
read too. Chosen over checkpointing cursors: both ends page by id (the list endpoint's
`after` is the next id: client.list_pages; the search end's bound is an id), so two ids are
the whole position, and they stay valid across processes and HubSpot's cursor lifetimes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

from ingestion.base.prefetch import Producer, produced

from .client import HubSpotClient
from .limits import SEARCH_PAGE_MAX

log = logging.getLogger("ingestion.sync")

PAGES_QUEUED = 8  # pages of both ends waiting for the fetch thread


class Meeting:
    """The two ends' positions; each side asks before reading on and filters what it read.
    A resumed read starts them where an earlier attempt's committed pages left them."""

    def __init__(self, *, list_high: int = 0, search_low: int | None = None,
                 search_top: int | None = None) -> None:
        self._lock = threading.Lock()
        self.list_high = list_high  # highest id the list end handed on
        self.search_low = search_low  # lowest id the search end handed on
        self.stopped = False
        self.list_met = False  # the list end stopped where the ends met, not at the last id
        self.search_stopped: str | None = None  # why the search end gave up, if it did
        self.search_top = search_top  # the highest id when the search end began

    def met(self) -> bool:
        with self._lock:
            return self.stopped or (self.search_low is not None
                                    and self.list_high >= self.search_low)

    def stop(self) -> None:
        with self._lock:
            self.stopped = True

    def search_gave_up(self, error: BaseException) -> None:
        """The search end failed: what it read stays read, and the list end reads on up to
        it, so nothing is missed, only the speed is lost. (A refused token or a spent day
        stops the list end too, on its own next request.)"""
        if not isinstance(error, Exception):
            raise error
        self.search_stopped = str(error)
        log.warning("the search end of the full read stopped (%s); the list end reads on",
                    error)

    def from_list(self, page: list) -> list:
        """The records of a list page the search end has not read (and notes the page)."""
        ids = list(map(_id, page))
        with self._lock:
            low = self.search_low
            kept = page if low is None else [
                r for r, i in zip(page, ids, strict=True) if i is None or i < low]
            self.list_high = max([self.list_high, *filter(None, ids)])
            return kept

    def from_search(self, page: list, ids: list) -> list:
        """The records of a search page the list end has not read; `ids`: _id of each."""
        with self._lock:
            high = self.list_high
            kept = [r for r, i in zip(page, ids, strict=True) if i is None or i > high]
            read = [i for i in ids if i is not None]
            if read:
                self.search_low = min([*read, *([self.search_low] if self.search_low else [])])
            return kept


def _id(record: object) -> int | None:
    """A record's id as a number, None if it has none (the engine reports such entries)."""
    value = record.get("id") if type(record) is dict else None
    if type(value) is str:
        return int(value) if value.isascii() and value.isdigit() else None
    return value if type(value) is int and value >= 0 else None


class EndPage(list):
    """A page of records and which end read it (`end`: "list" or "search")."""

    end = "list"


def _of_end(page: list, end: str) -> EndPage:
    tagged = EndPage(page)
    tagged.end = end
    return tagged


def two_ended_pages(client: HubSpotClient, object_type: str, properties: list[str], *,
                    page_size: int, first_search_page: list | None,
                    meeting: Meeting | None = None) -> Iterator[list]:
    """Every live record of the type, a page at a time, read from both ends (module doc);
    each end's pages an `EndPage`, the last search's plain lists.
    `first_search_page`: the highest ids, already read (client.search_top), or None for a
    resumed read whose search end goes on below `meeting.search_low`; `meeting`: the
    caller's, to learn afterwards where the list end stopped and whether search gave up,
    or where a resumed read's ends had got to (engines/base.py: resuming)."""
    meeting = meeting or Meeting()
    # Each end in its own thread, into one bounded queue (base/prefetch.py): an end that
    # waits for its budget (the list end, for a ten-second window to slide) never holds up
    # the other, and a slow database slows both alike.
    ends = (Producer("hubspot-list-end",
                     _list_end(client, object_type, properties, page_size, meeting)),
            Producer("hubspot-search-end",
                     _search_end(client, object_type, properties, meeting, first_search_page),
                     on_failure=meeting.search_gave_up))
    with produced(*ends, depth=PAGES_QUEUED) as pages:
        try:
            yield from pages
        finally:
            meeting.stop()  # each end stops at its next check of the meeting
    if meeting.search_top is not None:  # created during the run: above where search began
        yield from client.search_by_id(object_type, [], properties,
                                       after_id=meeting.search_top)


def _list_end(client: HubSpotClient, object_type: str, properties: list[str], page_size: int,
              meeting: Meeting) -> Iterator[list]:
    start = meeting.list_high + 1 if meeting.list_high else None  # resumed above it
    try:
        for page in client.list_pages(object_type, properties, page_size=page_size,
                                      from_id=start):
            kept = meeting.from_list(page)
            if kept:
                yield _of_end(kept, "list")
            if meeting.met():
                meeting.list_met = True
                break
    finally:
        meeting.stop()  # the list end reached the last id, or the search end, or failed


def _search_end(client: HubSpotClient, object_type: str, properties: list[str],
                meeting: Meeting, first_page: list) -> Iterator[list]:
    below = meeting.search_low  # None, unless resumed: then below what was read
    page: list | None = first_page
    while not meeting.met():
        if page is None:
            page = client.search_descending(object_type, properties, below=below,
                                            limit=SEARCH_PAGE_MAX)
        each_id = list(map(_id, page))
        ids = [i for i in each_id if i is not None]
        if meeting.search_top is None and ids:  # none: the list end reads on to the end
            meeting.search_top = max(ids)
        kept = meeting.from_search(page, each_id)
        if kept:
            yield _of_end(kept, "search")
        if len(page) < SEARCH_PAGE_MAX or not ids:
            return  # the bottom
        # Each page's ids fall below the last (client.falling_ids): the bound moves down.
        below, page = min(ids), None
