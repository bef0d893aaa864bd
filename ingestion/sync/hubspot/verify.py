"""Is the mirror exact? One record type's local rows against HubSpot, cheaply.

What is compared: the live records on each side, each by id, creation time and last-modified
time (epoch ms). `missing`: live in HubSpot, not live here; `extra`: live here, not live in
HubSpot (archived, merged or deleted there); `stale`: live on both sides, times differ.
Values are not compared: the save path writes whole records, so a copy with HubSpot's
modified time holds HubSpot's values (a change that did not move the modified time is only
caught by a `--full --force-overwrite` sync).

Cutoff: search answers lag behind writes ("a few moments", docs/hubspot-api.md#search), so records
created or modified in the last HUBSPOT_VERIFY_SETTLE_SECONDS (default 60) before the check
starts are left out on both sides: neither total counts a record created since the cutoff,
and a record whose copy on either side changed (or that HubSpot archived) since the cutoff
is `changing`, not a difference.

Cheap mode ("windows"; search, 5 requests/s):
1. Created-date drill: one search (created < cutoff) gives HubSpot's live total, set against
   the local live count. verify_hubspot first asks HubSpot for every type's record count in
   one request (record_counts.py); a type it counts starts from that count (against every
   live local row) instead of this search. A window whose totals differ is cut in two (at
   the local median, else the middle) and both halves counted again; a window HubSpot holds at most
   LEAF_SIZE records of (its counting request's page lists them all) or that is 1 ms wide
   is listed in full (keyset on hs_object_id) and compared id by id with its local rows.
2. Modified-date drill: the same on the modified property against `updated_at`, starting
   from MODIFIED_WINDOWS windows of equal local counts, so that a stale copy's two times
   (old here, new there) rarely fall in the same window.
Differences already located explain the totals of the windows they fall in, so each is
drilled to once; and two that cancelled out in a window stop cancelling once one of them is
located, so both drills run again over the windows already counted until a pass locates
nothing new. An exact mirror costs 1 + MODIFIED_WINDOWS searches whatever its size; a
difference about two searches per halving, log2(records / LEAF_SIZE) halvings (10,000
contacts: 13-20 requests for one planted difference, against 99 to list every id).

What cheap mode cannot see: differences that cancel out in every window they fall in — a
missing and an extra record in the same windows of both drills, a stale copy whose two
modified times fall in the same window. `--ids` ("ids") lists every live id with its times
(`list_pages`, ids only, 100 per request) and compares every local row: exact. Cheap mode
switches to it when that listing is as cheap (a type of at most ~900 records) or when the
drill has spent as many requests as the listing needs (differences everywhere).

`--fix` re-reads every differing id by id (engine Mode.IDS: batch read, normal save path)
inside the verify run, then reads those ids again to confirm each copy now matches.

Progress (base/progress.py, like a sync's): `--ids`'s listing reports the ids listed so far,
of the live local rows, on the running row and in a line every HUBSPOT_PROGRESS_LOG_SECONDS;
cheap mode makes a few requests and reports none.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice, pairwise

from django.conf import settings
from django.db import models
from django.db.models import Min

from ingestion.base.chunks import chunked
from ingestion.base.progress import RunProgress
from ingestion.base.results import Mode, SyncOptions, SyncResult
from ingestion.base.runner import run_recorded

from .client import HubSpotClient
from .limits import LIST_PAGE_MAX, SEARCH_PAGE_MAX
from .timeparse import parse_hubspot_datetime

LEAF_SIZE = SEARCH_PAGE_MAX  # a window this small is listed by the request that counts it
MODIFIED_WINDOWS = 8
MEDIAN_MAX_ROWS = 100_000  # `created_at` has no index: past this, cut windows in the middle
IDS_KEPT = 1_000  # differing ids stored per kind in sync_history.details
LOOKUP_CHUNK = 500  # ids per local `IN` query (SQLite's bound-parameter limit)
IDS_ONLY = ["hs_object_id"]
KINDS = ("missing", "extra", "stale")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)


def settle_time() -> timedelta:
    return timedelta(seconds=settings.HUBSPOT_VERIFY_SETTLE_SECONDS)


def to_ms(moment: datetime | None) -> int | None:
    return None if moment is None else (moment - EPOCH) // MS  # exact: no float rounding


def from_ms(ms: int) -> datetime:
    return EPOCH + ms * MS


def parse_ms(value: object) -> int | None:
    try:
        return to_ms(parse_hubspot_datetime(value))
    except (TypeError, ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class Copy:
    """One side's live copy of a record: when it was created and last modified (epoch ms)."""

    created: int | None
    modified: int | None


@dataclass(frozen=True)
class Finding:
    """An id seen differently by the two sides: missing | extra | stale, or `changing` (a
    side changed since the cutoff) or `agree` (both copies turned out the same)."""

    kind: str
    upstream: Copy | None  # HubSpot's live copy; None: not live there
    local: Copy | None  # the live local row; None: no live row


CREATED, MODIFIED = "created", "modified"
LOCAL_FIELD = {CREATED: "created_at", MODIFIED: "updated_at"}


@dataclass(eq=False)
class Window:
    """Records whose time on one axis is in [lo, hi) ms; lo None: no lower bound."""

    lo: int | None
    hi: int
    floor: int  # where the records of an open-below window start, for cutting it
    parent: Window | None = None
    upstream: int | None = None  # HubSpot's total
    local: int = 0
    listing: dict[str, Copy] | None = None  # HubSpot's records, when one page held them all
    halves: list[Window] | None = None  # once cut ([] for a window listed and compared)
    compared: bool = False

    @property
    def start(self) -> int:
        return self.floor if self.lo is None else self.lo


@dataclass
class Report:
    mode: str  # "windows" | "ids"
    hubspot: int = 0
    local: int = 0
    differing: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})
    requests: int = 0
    fixed: dict | None = None

    @property
    def ids(self) -> list[str]:
        return [i for kind in KINDS for i in self.differing[kind]]

    @property
    def exact(self) -> bool:
        return self.fixed["exact"] if self.fixed is not None else not self.ids

    def details(self) -> dict:
        counts = {kind: len(ids) for kind, ids in self.differing.items()}
        return {"hubspot": self.hubspot, "local": self.local, **counts,
                "requests": self.requests, "exact": self.exact, "mode": self.mode,
                "fixed": self.fixed,
                **{f"{kind}_ids": ids[:IDS_KEPT] for kind, ids in self.differing.items()}}


class TooCostly(Exception):
    """The drill has spent as many requests as listing every id would: list them instead."""


class Sides:
    """The two sides of one record type: HubSpot through search and batch reads, the local
    rows through the engine's scope. Every time is epoch ms; every id is HubSpot's."""

    def __init__(self, engine, client: HubSpotClient, cutoff: int):
        self.engine, self.client, self.cutoff = engine, client, cutoff
        self.object_type = engine.object_type
        self.property = {CREATED: engine.created_property, MODIFIED: engine.modified_property}
        self.properties = list(self.property.values())
        self.started_at = client.requests_sent

    @property
    def spent(self) -> int:
        return self.client.requests_sent - self.started_at

    def finding(self, upstream: Copy | None, local: Copy | None, *,
                archived_lately: bool = False) -> Finding:
        if upstream == local:
            kind = "agree"
        elif archived_lately or self.recent(upstream) or self.recent(local):
            kind = "changing"
        else:
            kind = "extra" if upstream is None else "missing" if local is None else "stale"
        return Finding(kind, upstream, local)

    def recent(self, copy: Copy | None) -> bool:
        return copy is not None and any(
            moment is not None and moment >= self.cutoff
            for moment in (copy.created, copy.modified))

    def at(self, axis: str, copy: Copy | None) -> int | None:
        """Where a copy counts on an axis: nowhere unless created before the cutoff."""
        if copy is None or copy.created is None or copy.created >= self.cutoff:
            return None
        return copy.created if axis == CREATED else copy.modified

    # -- HubSpot -----------------------------------------------------------------------------

    def copies(self, records: Iterable) -> dict[str, Copy]:
        found = {}
        for record in records:
            if isinstance(record, dict) and record.get("id"):
                properties = record.get("properties")
                properties = properties if isinstance(properties, dict) else {}
                found[str(record["id"])] = Copy(
                    parse_ms(properties.get(self.property[CREATED]) or record.get("createdAt")),
                    parse_ms(properties.get(self.property[MODIFIED]) or record.get("updatedAt")))
        return found

    def filters(self, axis: str, window: Window) -> list[dict]:
        name = self.property[axis]
        filters = [] if axis == CREATED else [
            {"propertyName": self.property[CREATED], "operator": "LT", "value": str(self.cutoff)}]
        if window.lo is not None:
            filters.append({"propertyName": name, "operator": "GTE", "value": str(window.lo)})
        filters.append({"propertyName": name, "operator": "LT", "value": str(window.hi)})
        return filters

    def count_upstream(self, axis: str, window: Window) -> None:
        total, page = self.client.search_total(self.object_type, self.filters(axis, window),
                                               self.properties)
        window.upstream = total
        listed = self.copies(page)
        window.listing = listed if len(listed) >= total else None

    def list_upstream(self, axis: str, window: Window) -> dict[str, Copy]:
        if window.listing is not None:
            return window.listing
        listed: dict[str, Copy] = {}
        for page in self.client.search_by_id(self.object_type, self.filters(axis, window),
                                             self.properties):
            listed.update(self.copies(page))
        return listed

    def live_copies(self, ids: list[str]) -> dict[str, Copy]:
        """HubSpot's live copies of these records (batch read: authoritative, no lag)."""
        records = self.client.batch_read(self.object_type, ids, self.properties)
        wanted = set(ids)  # a merged-away id answers with its survivor: not the same record
        return {i: copy for i, copy in self.copies(records).items() if i in wanted}

    def archived_lately(self, ids: list[str]) -> set[str]:
        """Those of these ids (not live in HubSpot) that HubSpot archived since the cutoff."""
        records = self.client.batch_read(self.object_type, ids, self.properties, archived=True)
        return {str(r["id"]) for r in records if isinstance(r, dict) and r.get("id")
                and (parse_ms(r.get("archivedAt")) or 0) >= self.cutoff}

    # -- local -------------------------------------------------------------------------------

    def live(self) -> models.QuerySet:
        return self.engine.scope().filter(archived=False)

    def counted(self) -> models.QuerySet:
        """The local rows the totals count: live, created before the cutoff."""
        return self.live().filter(created_at__lt=from_ms(self.cutoff))

    def local_window(self, axis: str, window: Window) -> models.QuerySet:
        column = LOCAL_FIELD[axis]
        rows = self.counted().filter(**{f"{column}__lt": from_ms(window.hi)})
        if window.lo is not None:
            rows = rows.filter(**{f"{column}__gte": from_ms(window.lo)})
        return rows

    def local_copies(self, rows: models.QuerySet) -> dict[str, Copy]:
        source_id = self.engine.source_id
        return {source_id(pk): Copy(to_ms(created), to_ms(updated)) for pk, created, updated
                in rows.values_list("pk", "created_at", "updated_at").iterator(chunk_size=5_000)}

    def local_by_ids(self, ids: list[str]) -> dict[str, Copy]:
        found: dict[str, Copy] = {}
        local_ids = [self.engine.local_id(i) for i in ids]
        for chunk in chunked(local_ids, LOOKUP_CHUNK):
            found.update(self.local_copies(self.live().filter(pk__in=chunk)))
        return found

    def floor(self, axis: str) -> int:
        oldest = self.counted().aggregate(oldest=Min(LOCAL_FIELD[axis]))["oldest"]
        return to_ms(oldest) if oldest is not None else 0

    def median(self, axis: str, window: Window) -> int | None:
        if window.local < 2 or (axis == CREATED and window.local > MEDIAN_MAX_ROWS):
            return None
        column = LOCAL_FIELD[axis]
        ordered = self.local_window(axis, window).order_by(column).values_list(column, flat=True)
        return to_ms(ordered[window.local // 2])

    def first_windows(self, axis: str, count: int) -> list[Window]:
        """`count` windows holding equal shares of the local rows, up to the cutoff."""
        column = LOCAL_FIELD[axis]
        ordered = (self.counted().filter(**{f"{column}__isnull": False}).order_by(column)
                   .values_list(column, flat=True))
        total = ordered.count()
        floor = to_ms(ordered.first()) if total else 0
        cuts = sorted({to_ms(ordered[total * k // count]) for k in range(1, count)}
                      if total >= count else ())
        bounds = [None, *(cut for cut in cuts if floor < cut < self.cutoff), self.cutoff]
        return [Window(lo, hi, floor if lo is None else lo) for lo, hi in pairwise(bounds)]


def compare(sides: Sides, upstream: dict[str, Copy], local: dict[str, Copy],
            known: dict[str, Finding], *, complete: bool = False) -> dict[str, Finding]:
    """Findings for the ids of two listings of the same set (one window's, or with
    `complete` every live record's). An id on one side only is looked up on the other, by
    id; with `complete` it is known not to be live there."""
    found = {i: sides.finding(upstream[i], local[i]) for i in upstream.keys() & local.keys()
             if upstream[i] != local[i] and i not in known}
    only_there = [i for i in upstream if i not in local and i not in known]
    only_here = [i for i in local if i not in upstream and i not in known]
    here = {} if complete else sides.local_by_ids(only_there)
    there = {} if complete else sides.live_copies(only_here)
    lately = sides.archived_lately([i for i in only_here if i not in there])
    found.update((i, sides.finding(upstream[i], here.get(i))) for i in only_there)
    found.update((i, sides.finding(there.get(i), local[i], archived_lately=i in lately))
                 for i in only_here)
    return found


class Drill:
    """Cuts the windows of one axis where HubSpot's total and the local count differ, down
    to windows listed in full and compared id by id.

    Findings already made (`known`, shared by both axes) shift each window's local count to
    what it would be with those ids corrected: a difference they explain is not drilled to
    again, and two that cancelled out in a window stop cancelling once one of them is
    found, so `by_windows` runs the drills again (on the windows already measured: no new
    requests unless a window must be cut) until a pass finds nothing new."""

    def __init__(self, sides: Sides, axis: str, roots: list[Window],
                 known: dict[str, Finding], budget: int):
        self.sides, self.axis, self.roots, self.known, self.budget = (
            sides, axis, roots, known, budget)
        self._there: list[int] = []  # where known ids count on this axis, in HubSpot
        self._here: list[int] = []  # and locally (both sorted)
        self._placed = 0  # how many of `known` (insertion ordered) are in those lists

    def run(self) -> None:
        self._place_known()
        pending = list(reversed(self.roots))
        while pending:
            window = pending.pop()
            if window.upstream is None:
                if self._explained_above(window):
                    continue
                if self.sides.spent >= self.budget:
                    raise TooCostly
                measure(self.sides, self.axis, window)
            if window.compared or self._explained(window):
                continue
            if window.halves is None:
                window.halves = self._halves(window)
            if window.halves:
                pending.extend(reversed(window.halves))
            else:
                self._compare(window)

    def _place_known(self) -> None:
        for finding in islice(self.known.values(), self._placed, None):
            for positions, copy in ((self._there, finding.upstream),
                                    (self._here, finding.local)):
                if (position := self.sides.at(self.axis, copy)) is not None:
                    insort(positions, position)
        self._placed = len(self.known)

    def _explained(self, window: Window) -> bool:
        return window.upstream == window.local + self._count(self._there, window) \
            - self._count(self._here, window)

    def _explained_above(self, window: Window) -> bool:
        parent = window.parent
        while parent is not None:
            if self._explained(parent):
                return True
            parent = parent.parent
        return False

    @staticmethod
    def _count(positions: list[int], window: Window) -> int:
        start = 0 if window.lo is None else bisect_left(positions, window.lo)
        return bisect_left(positions, window.hi) - start

    def _halves(self, window: Window) -> list[Window]:
        if window.listing is not None:
            return []  # HubSpot listed it whole: compare it
        cut = self.sides.median(self.axis, window)
        if cut is None or not window.start < cut < window.hi:
            cut = (window.start + window.hi) // 2
        if not window.start < cut < window.hi:
            return []  # 1 ms wide
        return [Window(window.lo, cut, window.floor, parent=window),
                Window(cut, window.hi, cut, parent=window)]

    def _compare(self, window: Window) -> None:
        upstream = self.sides.list_upstream(self.axis, window)
        local = self.sides.local_copies(self.sides.local_window(self.axis, window))
        self.known.update(compare(self.sides, upstream, local, self.known))
        window.compared = True
        self._place_known()


def measure(sides: Sides, axis: str, window: Window) -> None:
    """HubSpot's total of a window (one search) and the local count."""
    sides.count_upstream(axis, window)
    window.local = sides.local_window(axis, window).count()


def by_windows(sides: Sides, counted: int | None = None) -> tuple[Report, dict[str, Finding]]:
    """Cheap mode: the created-date drill and the modified-date drill, again until a pass
    finds nothing new; the id listing instead when that is as cheap. `counted`: HubSpot's
    record count of the type from the one request for every type (record_counts.py), which
    then stands in for the first search."""
    known: dict[str, Finding] = {}
    root = Window(None, sides.cutoff, sides.floor(CREATED))
    if counted is None:
        measure(sides, CREATED, root)
    else:
        # The count is of every live record now, so it is set against every live row (not
        # only those created before the cutoff): equal, the created drill has nothing to
        # cut; different (a record created a moment ago counts too), its halves are counted
        # by search as before.
        root.upstream, root.local = counted, sides.live().count()
    listing_cost = math.ceil(max(root.upstream, root.local) / LIST_PAGE_MAX)
    if listing_cost <= 1 + MODIFIED_WINDOWS:
        return by_ids(sides)  # as cheap, and exact
    drills = [Drill(sides, CREATED, [root], known, listing_cost),
              Drill(sides, MODIFIED, sides.first_windows(MODIFIED, MODIFIED_WINDOWS), known,
                    listing_cost)]
    try:
        while True:
            found_before = len(known)
            for drill in drills:
                drill.run()
            if len(known) == found_before:
                break
    except TooCostly:
        return by_ids(sides)
    return Report("windows", *totals(root)), known


def totals(root: Window) -> tuple[int, int]:
    """The totals reported: the root's, or, when it was cut, its halves' (a root counted by
    the record counts endpoint holds records created since the cutoff; its halves do not)."""
    halves = root.halves or []
    if halves and all(half.upstream is not None for half in halves):
        return sum(h.upstream for h in halves), sum(h.local for h in halves)
    return root.upstream, root.local


def by_ids(sides: Sides, progress: RunProgress | None = None) -> tuple[Report, dict[str, Finding]]:
    """Every live id and its times, listed (ids only), against every live local row.
    `progress`: told of each page listed, of the live local rows (the long part)."""
    upstream: dict[str, Copy] = {}
    expected = sides.live().count() if progress else None
    for page in sides.client.list_pages(sides.object_type, IDS_ONLY):
        upstream.update(sides.copies(page))
        if progress:
            progress.batch_committed(len(page), expected)
    local = sides.local_copies(sides.live())
    known = compare(sides, upstream, local, {}, complete=True)
    return Report("ids", counted_total(sides, upstream), counted_total(sides, local)), known


def counted_total(sides: Sides, copies: dict[str, Copy]) -> int:
    """How many of these copies the totals count (created before the cutoff)."""
    return sum(sides.at(CREATED, copy) is not None for copy in copies.values())


def recheck(sides: Sides, ids: list[str]) -> list[str]:
    """Of these ids, those whose copies still differ (each read again by id)."""
    there, here = sides.live_copies(ids), sides.local_by_ids(ids)
    lately = sides.archived_lately([i for i in ids if i not in there])
    return [i for i in ids if sides.finding(there.get(i), here.get(i),
                                            archived_lately=i in lately).kind in KINDS]


class MirrorCheck:
    """One type's verification as a recorded run (`sync_history` mode `verify`, holding
    the type's lock: `runner.run_recorded`); with `fix`, the differing records re-read by
    id within it."""

    def __init__(self, engine_class: type, *, client: HubSpotClient, exhaustive: bool = False,
                 fix: bool = False, settle: timedelta | None = None,
                 counted: int | None = None):
        self.engine_class, self.client, self.counted = engine_class, client, counted
        self.engine = engine_class(SyncOptions(), client=client)
        self.exhaustive, self.fix = exhaustive, fix
        self.settle = settle_time() if settle is None else settle
        # Progress lines (base/progress.py) for the one long check, `--ids`'s listing.
        options = SyncOptions(progress_every=settings.HUBSPOT_PROGRESS_LOG_SECONDS)
        self.result = SyncResult(self.engine.object_type, Mode.VERIFY, options)
        self.report: Report | None = None

    def run(self) -> SyncResult:
        flags = {"ids": self.exhaustive, "fix": self.fix,
                 "settle_seconds": self.settle.total_seconds()}
        return run_recorded(self.result, self._check, flags=flags)

    def _check(self, run_row) -> None:
        started = run_row.started_at
        sides = Sides(self.engine, self.client, to_ms(started - self.settle))
        report, known = (by_ids(sides, self.result.progress) if self.exhaustive
                         else by_windows(sides, self.counted))
        for kind in KINDS:
            report.differing[kind] = sorted((i for i, f in known.items() if f.kind == kind),
                                            key=lambda i: (len(i), i))
        report.requests = sides.spent
        self.report = report
        self.result.details = report.details()  # recorded even if the fix below fails
        if self.fix and report.ids:
            self._fix(report, sides, run_row)
            self.result.details = report.details()

    def _fix(self, report: Report, sides: Sides, run_row) -> None:
        """Through the normal save path, in this run (its row holds the type's lock)."""
        before = self.client.requests_sent
        options = SyncOptions(ids=tuple(report.ids),
                              purge_vanished=settings.HUBSPOT_PURGE_VANISHED)
        reread = self.engine_class(options, client=self.client).run(within=run_row)
        self.result.counts = reread.counts
        self.result.failures.extend(reread.failures)
        still = recheck(sides, report.ids)
        report.fixed = {**reread.counts.as_dict(), "requests": self.client.requests_sent - before,
                        "still_differing": len(still), "exact": not still,
                        "still_differing_ids": still[:IDS_KEPT]}
