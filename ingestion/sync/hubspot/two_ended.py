"""Two-ended full reads: the list endpoint reads ids upwards while search reads them
downwards, at the same time, until the two ends meet.

Why: HubSpot's search API has its own budget (5 requests/s x 200 records) and its answers
carry no ten-secondly headers (API-FACTS §3, API-DATED §2: search is exempt from the
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
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator

from .client import SEARCH_PAGE_MAX, HubSpotClient

log = logging.getLogger("ingestion.sync")

_DONE = object()


class Meeting:
    """The two ends' positions; each side asks before reading on and filters what it read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.list_high = 0  # highest id the list end handed on
        self.search_low: int | None = None  # lowest id the search end handed on
        self.stopped = False

    def met(self) -> bool:
        with self._lock:
            return self.stopped or (self.search_low is not None
                                    and self.list_high >= self.search_low)

    def stop(self) -> None:
        with self._lock:
            self.stopped = True

    def from_list(self, page: list) -> list:
        """The records of a list page the search end has not read (and notes the page)."""
        with self._lock:
            low = self.search_low
            kept = [r for r in page if low is None or _id(r) is None or _id(r) < low]
            self.list_high = max([self.list_high, *filter(None, map(_id, page))])
            return kept

    def from_search(self, page: list) -> list:
        with self._lock:
            high = self.list_high
            kept = [r for r in page if _id(r) is None or _id(r) > high]
            ids = [i for i in map(_id, page) if i is not None]
            if ids:
                self.search_low = min([*ids, *([self.search_low] if self.search_low else [])])
            return kept


def _id(record: object) -> int | None:
    value = record.get("id") if isinstance(record, dict) else None
    return int(value) if isinstance(value, str | int) and str(value).isdigit() else None


def two_ended_pages(client: HubSpotClient, object_type: str, properties: list[str], *,
                    page_size: int) -> Iterator[list]:
    """Every live record of the type, a page at a time, read from both ends (module doc)."""
    meeting = Meeting()
    pages: queue.Queue = queue.Queue(maxsize=8)
    top: list[int | None] = [None]
    searcher = threading.Thread(target=_search_end, name="hubspot-search-end", daemon=True,
                                args=(client, object_type, properties, meeting, pages, top))
    searcher.start()
    try:
        for page in client.list_pages(object_type, properties, page_size=page_size):
            yield from _ready(pages)
            kept = meeting.from_list(page)
            if kept:
                yield kept
            if meeting.met():
                break
        meeting.stop()  # the list end reached the last id, or the search end
        yield from _until_done(pages)
    finally:
        meeting.stop()
        _drain_quietly(pages, searcher)
    if top[0] is not None:  # created during the run: above where the search end began
        yield from client.search_by_id(object_type, [], properties, after_id=top[0])


def _search_end(client: HubSpotClient, object_type: str, properties: list[str],
                meeting: Meeting, pages: queue.Queue, top: list) -> None:
    try:
        below: int | None = None
        while not meeting.met():
            page = client.search_descending(object_type, properties, below=below,
                                            limit=SEARCH_PAGE_MAX)
            ids = [i for i in map(_id, page) if i is not None]
            if top[0] is None:
                top[0] = max(ids, default=0)
            kept = meeting.from_search(page)
            if kept:
                pages.put(kept)
            if len(page) < SEARCH_PAGE_MAX or not ids or (below is not None
                                                         and min(ids) >= below):
                break  # the bottom (or a search that ignores its filter: the list end goes on)
            below = min(ids)
    except Exception as error:  # handed to the list end, which reads on
        pages.put(error)
    finally:
        pages.put(_DONE)


def _ready(pages: queue.Queue) -> Iterator[list]:
    """Search pages already read, without waiting."""
    while True:
        try:
            item = pages.get_nowait()
        except queue.Empty:
            return
        if item is _DONE:
            pages.put(_DONE)  # seen again by _until_done
            return
        yield from _item(item)


def _until_done(pages: queue.Queue) -> Iterator[list]:
    """Every search page still to come, until the search end has finished."""
    while (item := pages.get()) is not _DONE:
        yield from _item(item)


def _item(item) -> Iterator[list]:
    if isinstance(item, Exception):
        # What the search end read stays read; the list end reads on up to it, so nothing
        # is missed, only the speed is lost. (A refused token or a spent day stops the list
        # end too, on its own next request.)
        log.warning("the search end of the full read stopped (%s); the list end reads on",
                    item)
    else:
        yield item


def _drain_quietly(pages: queue.Queue, searcher: threading.Thread) -> None:
    """Unblock and end the search thread (it stops at its next check of the meeting)."""
    while searcher.is_alive():
        try:
            pages.get(timeout=0.1)
        except queue.Empty:
            continue
    searcher.join()
