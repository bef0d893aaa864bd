"""A full read checked against HubSpot's own count: nothing missed in silence.

Why: the two ends of a full read (two_ended.py) stop where they believe they meet. A search
that breaks HubSpot's contract (comparing `hs_object_id` as text: "9" > "10") can make them
"meet" with thousands of ids never read, and every page looks right on its own. A list-only
read trusts the list endpoint alike. So every full read of a record type takes HubSpot's count
at its start and, once it has read everything, checks the count was reached.

The count (`Census`): search `total` of the live records and the highest id, at the start
(the two-ended read's first search page carries both; a list-only read asks one search of
limit 1). A type whose count cannot be had (search refused, e.g. a type without search) is
read without reconciliation, and its run says so (`details["read_check"]`).

The comparison, exactly (`shortfall`):

    missing = expected - (read - created) - archived_unread

- expected: the count at the start;
- read: distinct live ids the run read (either end, the top-up search, the re-read);
- created: those of them it saw created during the run: an id above the highest id at the
  start whose `createdAt` is at or after the start minus the lookback (both: a search that
  misorders ids gets the highest id wrong, and old records keep their old `createdAt`);
- archived_unread: ids of the archived listing (read after the live one), archived at or after
  the start minus the lookback, that the run did not read live (read, then archived: counted
  in `read` already).

The lookback (HUBSPOT_INCREMENTAL_LOOKBACK_SECONDS) covers search's lag behind writes and
clock skew; its price: up to as many misses as records archived in the lookback before the
run can pass unnoticed. Records that leave every listing without being archived during the
run (a merge, a GDPR or hard delete) count as missing: such a run ends partial, and the next
full read is clean.

missing > 0: the ids the list end did not read itself are re-read through the list endpoint
(two ended, after the ends met: from just above the list end's highest id; otherwise every
id), then the comparison is made again. Still missing: the run is partial (exit 3), names
expected, read and the range re-read, sweeps nothing and does not move the watermark
(BaseSyncEngine._finish).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from ingestion.base.results import ReadCheck
from ingestion.base.seen import SeenIds

from .timeparse import parse_hubspot_datetime


def shortfall(expected: int, read: int, created: int, archived_unread: int) -> int:
    """How many live records of HubSpot's count at the start the read did not account for
    (module doc); 0 when it accounted for all."""
    return max(0, expected - (read - created) - archived_unread)


@dataclass(frozen=True)
class Census:
    """HubSpot's count of live records at a full read's start, and the highest id then."""

    expected: int
    top_id: int | None
    taken_at: datetime


class Tally:
    """What a full read read, against its census (module doc). Lives in the fetch stage."""

    def __init__(self, census: Census, lookback: timedelta, *, already: SeenIds | None = None):
        self.census = census
        self.since = census.taken_at - lookback
        # `already`: the ids a resumed read's earlier attempts read (base/resume.py)
        self.live = already if already is not None else SeenIds()
        self.created = 0
        self.archived_unread = 0
        self.highest = 0  # the highest numeric live id read

    def live_pages(self, pages: Iterator[list]) -> Iterator[list]:
        for page in pages:
            self._read_live(page)
            yield page

    def archived_pages(self, pages: Iterator[list]) -> Iterator[list]:
        for page in pages:
            for object_id, record in _with_ids(page):
                if object_id not in self.live and _at_or_after(record, "archivedAt",
                                                               self.since):
                    self.archived_unread += 1
            yield page

    def missing(self) -> int:
        return shortfall(self.census.expected, len(self.live), self.created,
                         self.archived_unread)

    def _read_live(self, page: list) -> None:
        entries = _with_ids(page)
        ids = [object_id for object_id, _ in entries]
        read_before = self.live.add_all(ids)
        # Whole-page steps in C: this runs for every record of every full read.
        page_high = max(map(int, filter(str.isdigit, ids)), default=0)
        self.highest = max(self.highest, page_high)
        top = self.census.top_id
        if top is None or page_high <= top:
            return  # nothing above the highest id at the start: nothing created since
        for object_id, record in entries:
            if (object_id.isdigit() and int(object_id) > top and object_id not in read_before
                    and _at_or_after(record, "createdAt", self.since)):
                self.created += 1

    def check(self, object_type: str, reread_from: int | None) -> ReadCheck:
        """The outcome: details for sync_history, and a message if the read fell short.
        `reread_from`: where the re-read started (0: every id; None: none was needed)."""
        missing = self.missing()
        details = {"expected": self.census.expected, "read": len(self.live),
                   "created_during_run": self.created,
                   "archived_during_run": self.archived_unread, "missing": missing}
        if reread_from is not None:
            details["reread_from_id"] = reread_from
        if not missing:
            return ReadCheck(details)
        low = reread_from or 0
        short = (f"the full read of {object_type} fell short: HubSpot counted "
                 f"{self.census.expected} live records at the start, the run read "
                 f"{len(self.live) - self.created} of them (and {self.created} created, "
                 f"{self.archived_unread} archived during the run): {missing} missing in ids "
                 f"{low}..{max(self.highest, self.census.top_id or 0)}, even after re-reading "
                 "that range by the list endpoint. Nothing was swept and the watermark was "
                 "not moved; the next full run reads again")
        return ReadCheck(details, short)


def unchecked(object_type: str, reason: str) -> ReadCheck:
    """The outcome of a full read HubSpot would not count for (no reconciliation)."""
    return ReadCheck({"expected": None, "unchecked": f"no count of {object_type}: {reason}"})


def _with_ids(page: list) -> list[tuple[str, dict]]:
    return [(value if type(value) is str else str(value), record) for record in page
            if type(record) is dict and (value := record.get("id")) not in (None, "")]


def _at_or_after(record: dict, field: str, moment: datetime) -> bool:
    try:
        value = parse_hubspot_datetime(record.get(field))
    except (TypeError, ValueError, OverflowError):
        return False  # unreadable: taken as old (the record itself is reported elsewhere)
    return value is not None and value >= moment
