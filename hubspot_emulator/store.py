"""Portal state: generated data plus sparse mutations.

Every change is an `Op` applied to an `Overlay`. Each object type has two overlays over the
same generated data: `live` (what GET, list and batch read see, changed at once) and `index`
(what search sees). An op reaches `index` only `search_lag_ms` after it happened, which is how
the emulator reproduces HubSpot's search-index delay (docs/hubspot-api.md#search).

`Store.observer` (the webhooks) sees every op just before it is applied, while the old state
can still be read, which is what a change event needs (old value vs new one).
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import PORTAL_ID
from .associations import AssociationOverrides
from .datagen import PortalData, TypeData
from .schemas import ObjectType, builtin_types
from .standard_types import registry as standard_registry
from .timeutil import Clock, iso_ms

LIVE, ARCHIVED, GONE, MISSING = "live", "archived", "gone", "missing"
HARD_DELETE = "HARD_DELETE"  # the `source` of a `gone` op that is not a GDPR delete


@dataclass
class Op:
    """One mutation of one record (or a set of records for `touch`)."""

    kind: str  # set | create | archive | restore | gone | merge | touch | raw
    idx: int = -1
    props: dict[str, str | None] = field(default_factory=dict)
    ms: int | None = None  # new last-modified time (None: leave it unchanged)
    at: int | None = None  # create/merge: creation time; archive: archivedAt
    others: tuple[int, ...] = ()  # merge: the merged-away indices; touch: the indices
    raw: Any = None
    source: str = "API"


class Overlay:
    """Sparse changes layered over one type's generated records."""

    def __init__(self, data: TypeData) -> None:
        self.data = data
        self.props: dict[int, dict[str, str | None]] = {}
        self.modified: dict[int, int] = {}
        self.created: dict[int, int] = {}  # records created at run time (index >= data.n)
        self.archived: dict[int, int] = {}  # archived at run time -> archivedAt
        self.restored: set[int] = set()  # generated archived records taken out of the bin
        self.gone: set[int] = set()  # GDPR-deleted or merged away: served nowhere
        self.merged_into: dict[int, int] = {}
        self.merge_sources: dict[int, tuple[int, ...]] = {}  # survivor -> merged-away indices
        self.raw: dict[int, Any] = {}
        self.history: dict[int, dict[str, list[tuple[str | None, int, str]]]] = {}
        # Each written value of the type's stage property and when (kept by both overlays,
        # unlike `history`): the stage calculated properties follow them (stage_times.py).
        self.stage_moves: dict[int, list[tuple[str | None, int]]] = {}
        self.version = 0  # bumped on every change; caches key on it
        self._archived_sorted: tuple[int, list[int]] | None = None
        self.search_cache: tuple[int, dict] = (-1, {})  # see search._cached

    # -- applying changes ---------------------------------------------------------------

    def apply(self, op: Op, keep_history: bool) -> None:
        self.version += 1
        handler = getattr(self, f"_op_{op.kind}")
        handler(op, keep_history)

    def _op_set(self, op: Op, keep_history: bool) -> None:
        self._write(op.idx, op.props, op.ms, keep_history, op.source)

    def _op_create(self, op: Op, keep_history: bool) -> None:
        self.created[op.idx] = op.at
        self._write(op.idx, op.props, op.ms, keep_history, op.source)

    def _op_archive(self, op: Op, keep_history: bool) -> None:
        self.archived[op.idx] = op.at

    def _op_restore(self, op: Op, keep_history: bool) -> None:
        # Out of the recycle bin (docs/hubspot-api.md#deletions-and-merges); the last-modified time
        # stays (*choice*).
        self.archived.pop(op.idx, None)
        if op.idx < self.data.n and self.data.is_archived(op.idx):
            self.restored.add(op.idx)

    def _op_gone(self, op: Op, keep_history: bool) -> None:
        self.gone.add(op.idx)
        self.raw.pop(op.idx, None)

    def _op_merge(self, op: Op, keep_history: bool) -> None:
        if op.idx not in op.others:  # contacts/companies: the survivor is a new record
            self.created[op.idx] = op.at
        for old in op.others:
            if old != op.idx:
                self.gone.add(old)
                self.merged_into[old] = op.idx
        merged = tuple(o for o in op.others if o != op.idx)
        self.merge_sources[op.idx] = self.merge_sources.get(op.idx, ()) + merged
        self._write(op.idx, op.props, op.ms, keep_history, "MERGE")

    def _op_touch(self, op: Op, keep_history: bool) -> None:
        for idx in op.others:
            self.modified[idx] = op.ms

    def _op_raw(self, op: Op, keep_history: bool) -> None:
        self.raw[op.idx] = op.raw

    def _write(self, idx, props, modified_ms, keep_history, source) -> None:
        if props:
            self.props.setdefault(idx, {}).update(props)
        if modified_ms is not None:
            self.modified[idx] = modified_ms
        stage_property = self.data.otype.stage_property
        if stage_property and stage_property in props:
            self.stage_moves.setdefault(idx, []).append((props[stage_property],
                                                         self.modified_ms(idx)))
        if keep_history and props:
            stamp = modified_ms if modified_ms is not None else self.modified_ms(idx)
            hist = self.history.setdefault(idx, {})
            for name, value in props.items():
                hist.setdefault(name, []).append((value, stamp, source))

    # -- reading ------------------------------------------------------------------------

    def exists(self, idx: int) -> bool:
        return 0 <= idx < self.data.n or idx in self.created

    def status(self, idx: int) -> str:
        if not self.exists(idx):
            return MISSING
        if idx in self.gone:
            return GONE
        if idx in self.archived or self._generated_archived(idx):
            return ARCHIVED
        return LIVE

    def _generated_archived(self, idx: int) -> bool:
        return self.data.is_archived(idx) and idx not in self.restored

    def resolve(self, idx: int) -> int:
        """Follow merges: a merged-away index answers with its survivor
        (docs/hubspot-api.md#deletions-and-merges)."""
        seen = 0
        while idx in self.merged_into and seen < 300:
            idx, seen = self.merged_into[idx], seen + 1
        return idx

    def created_ms(self, idx: int) -> int:
        if idx in self.created:
            return self.created[idx]
        return self.data.created_ms(idx)

    def modified_ms(self, idx: int) -> int:
        ms = self.modified.get(idx)
        if ms is not None:
            return ms
        if idx in self.created:
            return self.created[idx]
        return self.data.modified_ms(idx)

    def archived_at_ms(self, idx: int) -> int:
        if idx in self.archived:
            return self.archived[idx]
        return self.data.archived_at_ms(idx)

    def values(self, idx: int) -> dict[str, str | None]:
        """Business property values (generated, then overridden); no system timestamps."""
        base = self.data.record(idx) if idx < self.data.n else {}
        over = self.props.get(idx)
        return {**base, **over} if over else base

    def value(self, idx: int, name: str) -> str | None:
        """One property value, system properties included (used by search filters)."""
        otype = self.data.otype
        if name == "hs_object_id":
            return str(otype.id_base + 1 + idx)
        if name == otype.created_prop:
            return iso_ms(self.created_ms(idx))
        if name == otype.modified_prop:
            return iso_ms(self.modified_ms(idx))
        over = self.props.get(idx)
        if over is not None and name in over:
            return over[name]
        return self.data.value(idx, name) if idx < self.data.n else None

    def touched(self) -> set[int]:
        """Indices whose state differs from the generated record (search evaluates these)."""
        return (set(self.props) | set(self.modified) | set(self.created) | set(self.archived)
                | self.gone | self.restored)

    def end(self) -> int:
        """One past the highest index that exists."""
        return max(self.data.n, max(self.created, default=-1) + 1)

    # -- iteration in id order ------------------------------------------------------------

    def iter_live(self, start: int) -> Iterator[int]:
        end = self.end()
        n = self.data.n
        for idx in range(max(0, start), end):
            if idx in self.gone or idx in self.archived:
                continue
            if idx < n:
                if self._generated_archived(idx):
                    continue
            elif idx not in self.created:
                continue
            yield idx

    def iter_archived(self, start: int) -> Iterator[int]:
        """Archived records in id order (generated ones, then those archived at run time)."""
        base = self.data.archived_list()
        extra = self._runtime_archived()
        i, j = bisect_left(base, start), bisect_left(extra, start)
        while i < len(base) or j < len(extra):
            if j >= len(extra) or (i < len(base) and base[i] < extra[j]):
                idx, i = base[i], i + 1
                if idx in self.restored:  # live again, or archived again and then in `extra`
                    continue
            else:
                idx, j = extra[j], j + 1
            if idx not in self.gone:
                yield idx

    def _runtime_archived(self) -> list[int]:
        if self._archived_sorted is None or self._archived_sorted[0] != self.version:
            self._archived_sorted = (self.version, sorted(self.archived))
        return self._archived_sorted[1]


class TypeState:
    """One object type: generated data, the live overlay and the search-index overlay."""

    def __init__(self, otype: ObjectType, data: TypeData) -> None:
        self.otype, self.data = otype, data
        self.live = Overlay(data)
        self.index = Overlay(data)
        self.next_idx = data.n
        self.unique_index: dict[str, dict[str, int]] = {}  # written unique values -> idx

    def id_of(self, idx: int) -> str:
        return str(self.otype.id_base + 1 + idx)

    def idx_of(self, record_id: object) -> int | None:
        text = str(record_id).strip()
        if not text.isdigit():
            return None
        idx = int(text) - self.otype.id_base - 1
        return idx if idx >= 0 else None

    def allocate(self) -> int:
        idx, self.next_idx = self.next_idx, self.next_idx + 1
        return idx


def _set_id_bases(registry, id_bases: dict) -> None:
    """Move types' ids (`{"contacts": 9_999_999_000}`: the first id is base + 1), e.g. so a
    portal's ids differ in length, as in portals older than HubSpot's long ids."""
    for name, base in id_bases.items():
        otype = registry.resolve(str(name))
        if otype is None or type(base) is not int or base < 0:
            raise ValueError(f"id_bases: {name!r} must name a type and map to a whole "
                             f"number >= 0, not {base!r}")
        otype.id_base = base


class StoreObserver(Protocol):
    def before_op(self, ts: TypeState, op: Op) -> None:
        """Called with the state still as it was before `op` (see the module docstring)."""


class Store:
    """The whole emulated portal: types, generated data, mutations, associations, clock."""

    def __init__(self, seed: int = 1, contacts: int = 1000, clock: Clock | None = None,
                 search_lag_ms: int = 0, id_bases: dict | None = None,
                 portal_id: int = PORTAL_ID) -> None:
        self.seed, self.contacts = seed, contacts
        self.portal_id = portal_id  # the Hub ID every reply, event and file names
        self.clock = clock or Clock()
        self.search_lag_ms = search_lag_ms
        # Seeded types plus every other documented standard type, empty (standard_types).
        self.registry = standard_registry(builtin_types(portal_id))
        _set_id_bases(self.registry, id_bases or {})
        self.data = PortalData(seed, contacts, self.registry.types)
        self.types = {t.name: TypeState(t, self.data.types[t.name]) for t in self.registry.types}
        self.assoc = AssociationOverrides()
        self._pending: deque[tuple[float, TypeState, Op]] = deque()
        self.schema_created: dict[str, int] = {}
        self.observer: StoreObserver | None = None

    def state(self, otype: ObjectType) -> TypeState:
        return self.types[otype.name]

    def add_type(self, otype: ObjectType) -> TypeState:
        self.registry.add(otype)
        self.data.add_type(otype)
        self.types[otype.name] = TypeState(otype, self.data.types[otype.name])
        return self.types[otype.name]

    # -- mutations ------------------------------------------------------------------------

    def apply(self, ts: TypeState, op: Op) -> None:
        """Apply now for reads; for search after the configured lag (docs/hubspot-api.md#search)."""
        if self.observer is not None:
            self.observer.before_op(ts, op)
        ts.live.apply(op, keep_history=True)
        if self.search_lag_ms <= 0 and not self._pending:
            ts.index.apply(op, keep_history=False)
        else:
            self._pending.append((time.monotonic() + self.search_lag_ms / 1000, ts, op))

    def set_search_lag(self, ms: int) -> None:
        self.search_lag_ms = max(0, int(ms))
        if self.search_lag_ms == 0:
            self.sync_index(force=True)

    def sync_index(self, force: bool = False) -> None:
        """Let the search index catch up with every op whose lag has passed."""
        now = time.monotonic()
        while self._pending and (force or self._pending[0][0] <= now):
            _due, ts, op = self._pending.popleft()
            ts.index.apply(op, keep_history=False)
