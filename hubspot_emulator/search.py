"""`POST /crm/v3/objects/{type}/search` over the search-index overlay (docs/hubspot-api.md#search).

Speed on a million records comes from one property of the generated data: id, creation time
and last-modified time all ascend with the record index. A filter group made only of range
filters on those three therefore selects an index interval of untouched records, whose
count and order need no per-record work. Records changed since seeding ("touched") are few
and are evaluated one by one, then merged in sort order.
"""

from __future__ import annotations

import fnmatch
import heapq
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import islice

import orjson

from .errors import validation
from .render import record_json, select_properties
from .store import LIVE, Overlay, TypeState
from .timeutil import parse_time_ms

OPERATORS = {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY",
             "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"}
RANGE_OPS = {"EQ", "LT", "LTE", "GT", "GTE", "BETWEEN"}
MAX_RESULTS = 10_000  # "limited to 10,000 total results for any given query"
                      # (docs/hubspot-api.md#search)
_TOKEN_SPLIT = re.compile(r"[\s,;:.@/\\\-_()\"'<>!?]+")


@dataclass
class SearchLimits:
    """Filter limits differ between HubSpot's docs and changelog (docs/hubspot-api.md#search):
    configurable."""

    max_groups: int = 5
    max_filters_per_group: int = 6
    max_filters: int = 18
    max_limit: int = 200
    max_body_chars: int = 3000


@dataclass
class Filter:
    prop: str
    op: str
    kind: str  # number | time | bool | enum | string
    value: object = None
    high: object = None
    values: tuple = ()


# -- parsing ---------------------------------------------------------------------------------

ID = "hs_object_id"


def _kind(ts: TypeState, prop: str, text_ids: bool = False) -> str:
    if text_ids and prop == ID:
        return "string"  # the "ids_as_text" fault: ids compared and sorted as text
    p = ts.otype.by_name.get(prop)
    if p is None:
        return "string"
    if p.type == "number":
        return "number"
    if p.type in ("date", "datetime"):
        return "time"
    if p.type == "bool":
        return "bool"
    return "enum" if p.type == "enumeration" else "string"


def _typed(kind: str, raw: object, prop: str):
    """A filter value in comparable form; invalid values are a VALIDATION_ERROR."""
    if raw is None:
        return None
    if kind == "number":
        try:
            return float(raw)
        except (TypeError, ValueError):
            raise validation(f"Invalid number value for property {prop}: {raw}") from None
    if kind == "time":
        ms = parse_time_ms(raw)
        if ms is None:
            raise validation(f"Invalid date value for property {prop}: {raw}")
        return ms
    if kind == "bool":
        return str(raw).lower()
    return str(raw)


def parse_filters(ts: TypeState, body: dict, limits: SearchLimits,
                  text_ids: bool = False) -> list[list[Filter]]:
    groups = body.get("filterGroups") or []
    if not isinstance(groups, list):
        raise validation("filterGroups must be a list")
    if len(groups) > limits.max_groups:
        raise validation(f"Too many filter groups: {len(groups)} (maximum {limits.max_groups})")
    total = 0
    out = []
    for group in groups:
        filters = (group or {}).get("filters") or []
        if len(filters) > limits.max_filters_per_group:
            raise validation(f"Too many filters in a filter group: {len(filters)} "
                             f"(maximum {limits.max_filters_per_group})")
        total += len(filters)
        out.append([_parse_filter(ts, f, text_ids) for f in filters])
    if total > limits.max_filters:
        raise validation(f"Too many filters: {total} (maximum {limits.max_filters} in total)")
    return out


def _parse_filter(ts: TypeState, f: dict, text_ids: bool = False) -> Filter:
    prop, op = f.get("propertyName"), str(f.get("operator", "EQ")).upper()
    if not prop:
        raise validation("Filter is missing propertyName")
    if op not in OPERATORS:
        raise validation(f"Unknown filter operator: {op}")
    kind = _kind(ts, prop, text_ids)
    values = tuple(_typed(kind, v, prop) for v in f.get("values") or ())
    if op in ("IN", "NOT_IN") and not values:
        raise validation(f"Operator {op} requires values")
    value = f.get("value")
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        return Filter(prop, op, kind, str(value or "").lower())
    if op in RANGE_OPS | {"NEQ"} and value is None:
        raise validation(f"Operator {op} requires a value")
    if op == "BETWEEN" and f.get("highValue") is None:
        raise validation("Operator BETWEEN requires highValue")
    return Filter(prop, op, kind, _typed(kind, value, prop), _typed(kind, f.get("highValue"),
                                                                     prop), values)


# -- evaluating ------------------------------------------------------------------------------

def _stored(kind: str, raw: str | None):
    if raw is None or raw == "":
        return None
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return None
    if kind == "time":
        return parse_time_ms(raw)
    return raw


def _text_eq(f: Filter, stored: str, wanted: str) -> bool:
    # String values compare case-insensitively; enumerations are case-sensitive
    # (docs/hubspot-api.md#search).
    return stored == wanted if f.kind == "enum" else stored.lower() == wanted.lower()


def _matches(f: Filter, raw: str | None) -> bool:
    op = f.op
    if op == "HAS_PROPERTY":
        return raw not in (None, "")
    if op == "NOT_HAS_PROPERTY":
        return raw in (None, "")
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        found = raw is not None and _contains_token(raw, f.value)
        return found if op == "CONTAINS_TOKEN" else not found
    value = _stored(f.kind, raw)
    if op in ("IN", "NOT_IN"):
        hit = value is not None and _in(f, value)
        return hit if op == "IN" else not hit
    if op == "NEQ":
        return value is None or not _equal(f, value, f.value)
    if value is None:
        return False
    if op == "EQ":
        return _equal(f, value, f.value)
    if f.kind in ("string", "enum", "bool"):
        value, low, high = str(value).lower(), str(f.value).lower(), str(f.high).lower()
    else:
        low, high = f.value, f.high
    if op == "BETWEEN":
        return low <= value <= high
    return {"LT": value < low, "LTE": value <= low, "GT": value > low, "GTE": value >= low}[op]


def _equal(f: Filter, value, wanted) -> bool:
    if f.kind in ("number", "time"):
        return value == wanted
    return _text_eq(f, str(value), str(wanted))


def _in(f: Filter, value) -> bool:
    if f.kind == "string":
        # String IN/NOT_IN values must be given in lowercase (docs/hubspot-api.md#search): only the
        # stored value is lowercased before comparing.
        return str(value).lower() in f.values
    return value in f.values


def _contains_token(raw: str, pattern: str) -> bool:
    text = raw.lower()
    if "*" in pattern:
        return fnmatch.fnmatchcase(text, pattern) or any(
            fnmatch.fnmatchcase(tok, pattern) for tok in _TOKEN_SPLIT.split(text) if tok)
    return pattern == text or pattern in _TOKEN_SPLIT.split(text)


# -- planning --------------------------------------------------------------------------------

class _Plan:
    """Per-search context: the overlay, the monotone properties and their index bounds."""

    def __init__(self, ts: TypeState, ov: Overlay, text_ids: bool = False) -> None:
        self.ts, self.ov, self.n = ts, ov, ts.data.n
        otype = ts.otype
        data = ts.data
        self.monotone = {
            ID: lambda i: float(otype.id_base + 1 + i),
            otype.created_prop: data.created_ms,
            otype.modified_prop: data.modified_ms,
        }
        if text_ids:  # as text, ids of different lengths do not ascend with the index
            del self.monotone[ID]

    def interval(self, group: list[Filter]) -> tuple[int, int]:
        """The index interval of generated records the group's range filters allow."""
        lo, hi = 0, self.n
        for f in group:
            key = self.monotone.get(f.prop)
            if key is None or f.op not in RANGE_OPS:
                continue
            flo, fhi = self._bounds(key, f)
            lo, hi = max(lo, flo), min(hi, fhi)
        return lo, max(lo, hi)

    def _bounds(self, key, f: Filter) -> tuple[int, int]:
        seq = _KeySeq(key, self.n)
        op, v = f.op, f.value

        def first_ge(x):
            return bisect_left(seq, x)

        def first_gt(x):
            return bisect_right(seq, x)

        if op == "EQ":
            return first_ge(v), first_gt(v)
        if op == "LT":
            return 0, first_ge(v)
        if op == "LTE":
            return 0, first_gt(v)
        if op == "GT":
            return first_gt(v), self.n
        if op == "GTE":
            return first_ge(v), self.n
        return first_ge(v), first_gt(f.high)  # BETWEEN

    def pure(self, group: list[Filter]) -> bool:
        return all(f.prop in self.monotone and f.op in RANGE_OPS for f in group)

    def matches(self, idx: int, groups: list[list[Filter]]) -> bool:
        if not groups:
            return True
        cache: dict[str, str | None] = {}
        for group in groups:
            ok = True
            for f in group:
                if f.prop not in cache:
                    cache[f.prop] = self.ov.value(idx, f.prop)
                if not _matches(f, cache[f.prop]):
                    ok = False
                    break
            if ok:
                return True
        return False


class _KeySeq:
    """A read-only sequence view of a monotone key function, for bisect."""

    def __init__(self, key, n: int) -> None:
        self.key, self.n = key, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        return self.key(i)


def _merge_intervals(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(i for i in intervals if i[1] > i[0]):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


# -- the search ------------------------------------------------------------------------------

def _sort_spec(ts: TypeState, body: dict) -> tuple[str, bool]:
    sorts = body.get("sorts") or []
    if not isinstance(sorts, list):
        raise validation("sorts must be a list")
    if len(sorts) > 1:
        raise validation("Only one sorting rule can be applied")  # docs/hubspot-api.md#search
    if not sorts:
        # A free-text query defaults to creation order, oldest first (docs/hubspot-api.md#search).
        return (ts.otype.created_prop if body.get("query") else "hs_object_id"), False
    sort = sorts[0]
    if isinstance(sort, str):
        return sort.lstrip("-"), sort.startswith("-")
    direction = str(sort.get("direction", "ASCENDING")).upper()
    return sort.get("propertyName") or "hs_object_id", direction == "DESCENDING"


def _query_filter(ts: TypeState, query: str):
    words = [w.lower() for w in query.split() if w]

    def check(ov: Overlay, idx: int) -> bool:
        text = " ".join(str(ov.value(idx, p) or "") for p in ts.otype.searchable).lower()
        tokens = set(_TOKEN_SPLIT.split(text)) | set(text.split())
        return all(any(t.startswith(w) for t in tokens) or w in text for w in words)
    return check


def parse_paging(body: dict, limits: SearchLimits) -> tuple[int, int]:
    limit = body.get("limit", 10)
    try:
        limit = int(limit if limit is not None else 10)
        after = int(str(body.get("after") or "0"))
    except (TypeError, ValueError):
        raise validation("limit must be an integer and after an integer offset") from None
    if limit < 0 or limit > limits.max_limit:
        raise validation(f"limit must be between 0 and {limits.max_limit}")
    if after < 0:
        raise validation("after must not be negative")
    if after + limit > MAX_RESULTS:
        # Paging beyond the 10,000th result is a 400 (docs/hubspot-api.md#search).
        raise validation(f"Search is limited to {MAX_RESULTS} results: after ({after}) + limit "
                         f"({limit}) exceeds it. Narrow the query (e.g. by a time window).")
    return limit, after


def search(ts: TypeState, body: dict, limits: SearchLimits,
           associated: set[int] | None = None, text_ids: bool = False) -> dict:
    """Run a search on the index overlay; `associated` restricts to associated records;
    `text_ids` (the "ids_as_text" fault) compares and sorts `hs_object_id` as text."""
    groups = parse_filters(ts, body, limits, text_ids)
    sort_prop, desc = _sort_spec(ts, body)
    limit, after = parse_paging(body, limits)
    ov = ts.index
    query = str(body.get("query") or "").strip()
    cache_key = None if associated is not None else orjson.dumps(
        [body.get("filterGroups"), sort_prop, desc, query, text_ids],
        option=orjson.OPT_SORT_KEYS)
    total, window = _cached(ov, cache_key)
    if window is None:
        total, window = _evaluate(ts, ov, groups, sort_prop, desc, query, associated,
                                  text_ids)
        _remember(ov, cache_key, total, window)
    page = window[after:after + limit]
    names = select_properties(ts.otype, body.get("properties") or None)
    out = {"total": total, "results": [record_json(ts, ov, idx, names) for idx in page]}
    if after + limit < total and limit > 0:
        out["paging"] = {"next": {"after": str(after + limit)}}
    return out


def _evaluate(ts: TypeState, ov: Overlay, groups, sort_prop: str, desc: bool, query: str,
              associated: set[int] | None, text_ids: bool = False) -> tuple[int, list[int]]:
    """(total, the first 10,000 matches in order): every page of a query is a slice of it."""
    plan = _Plan(ts, ov, text_ids)
    extra = _query_filter(ts, query) if query else None
    key = _sort_key(ts, ov, sort_prop, desc, text_ids)
    fast = (extra is None and associated is None and sort_prop in plan.monotone
            and all(plan.pure(g) for g in groups))
    if fast:
        return _fast(plan, groups, key, sort_prop, desc, 0, MAX_RESULTS)
    return _general(plan, groups, key, 0, MAX_RESULTS, extra, associated)


def _cached(ov: Overlay, key: bytes | None) -> tuple[int, list[int] | None]:
    """A query's result window, valid until the index overlay changes."""
    version, entries = ov.search_cache
    if key is None or version != ov.version or key not in entries:
        return 0, None
    return entries[key]


def _remember(ov: Overlay, key: bytes | None, total: int, window: list[int]) -> None:
    if key is None:
        return
    version, entries = ov.search_cache
    if version != ov.version or len(entries) >= 64:
        entries = {}
        ov.search_cache = (ov.version, entries)
    entries[key] = (total, window)


def _sort_key(ts: TypeState, ov: Overlay, prop: str, desc: bool, text_ids: bool = False):
    """Sort key (value, id): ties break by id ascending; nulls sort last ascending."""
    kind = _kind(ts, prop, text_ids)

    def key(idx: int):
        value = _stored(kind, ov.value(idx, prop))
        if kind in ("string", "enum", "bool") and value is not None:
            value = str(value).lower()
        if value is None:
            return (1, 0, idx) if not desc else (0, 0, idx)
        if desc:
            value = -value if kind in ("number", "time") else _Reversed(value)
            return (1, value, idx)
        return (0, value, idx)
    return key


class _Reversed:
    """Wraps a string so that sorting ascending orders it descending."""

    __slots__ = ("s",)

    def __init__(self, s: str) -> None:
        self.s = s

    def __lt__(self, other: _Reversed) -> bool:
        return self.s > other.s

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.s == other.s

    def __hash__(self) -> int:
        return hash(self.s)


def _fast(plan: _Plan, groups, key, sort_prop: str, desc: bool, after: int, limit: int):
    ov, data = plan.ov, plan.ts.data
    intervals = _merge_intervals([plan.interval(g) for g in groups] or [(0, plan.n)])
    touched = ov.touched()
    total = 0
    for lo, hi in intervals:
        total += (hi - lo) - data.archived_count(lo, hi)
    touched_hits = []
    for idx in touched:
        if idx < plan.n and not data.is_archived(idx) and _inside(intervals, idx):
            total -= 1  # counted in its interval above, but it is evaluated on its own
        if ov.status(idx) == LIVE and plan.matches(idx, groups):
            touched_hits.append(idx)
    total += len(touched_hits)
    touched_sorted = sorted((key(i), i) for i in touched_hits)
    base_key = plan.monotone[sort_prop]

    def untouched():
        # Generated records: the sort key ascends with the index, so no sorting is needed.
        spans = reversed(intervals) if desc else intervals
        for lo, hi in spans:
            for idx in (range(hi - 1, lo - 1, -1) if desc else range(lo, hi)):
                if idx not in touched and not data.is_archived(idx):
                    k = base_key(idx)
                    yield ((1, -k, idx) if desc else (0, k, idx)), idx
    merged = heapq.merge(untouched(), touched_sorted)
    return total, [idx for _k, idx in islice(merged, after, after + limit)]


def _candidates(plan: _Plan, groups):
    """Generated records in the groups' intervals, then every touched record outside them."""
    intervals = _merge_intervals([plan.interval(g) for g in groups] or [(0, plan.n)])
    for lo, hi in intervals:
        yield from range(lo, hi)
    for idx in plan.ov.touched():
        if not _inside(intervals, idx):
            yield idx


def _inside(intervals: list[tuple[int, int]], idx: int) -> bool:
    return any(lo <= idx < hi for lo, hi in intervals)


def _general(plan: _Plan, groups, key, after: int, limit: int, extra, associated):
    ov = plan.ov
    candidates = associated if associated is not None else _candidates(plan, groups)
    hits = [i for i in candidates
            if ov.status(i) == LIVE and plan.matches(i, groups) and (extra is None
                                                                      or extra(ov, i))]
    if len(hits) <= after + limit:
        ordered = sorted(hits, key=key)
    else:
        ordered = heapq.nsmallest(after + limit, hits, key=key)
    return len(hits), ordered[after:after + limit]
