"""Association queries over generated links, API overrides, merges and archiving."""

from __future__ import annotations

from .associations import AssocType
from .store import LIVE, Store, TypeState


def _sources(ts: TypeState, idx: int) -> list[int]:
    """idx plus every record merged into it (its associations carry over,
    docs/hubspot-api.md#deletions-and-merges)."""
    out, todo = [], [idx]
    while todo:
        cur = todo.pop()
        out.append(cur)
        todo.extend(ts.live.merge_sources.get(cur, ()))
    return out


def _raw_targets(store: Store, a: TypeState, src: int, b: TypeState):
    an, bn = a.otype.name, b.otype.name
    if src < a.data.n:
        fwd = store.data.link(an, bn)
        if fwd is not None:
            parent = fwd.parent_of(src)
            if parent is not None:
                yield parent, fwd.types(True, src)
        back = store.data.link(bn, an)
        if back is not None:
            for child in back.children_of(src):
                yield child, back.types(False, child)
    yield from store.assoc.added.get((an, src, bn), {}).items()


def targets(store: Store, a: TypeState, idx: int, b: TypeState
            ) -> list[tuple[int, tuple[AssocType, ...]]]:
    """Live records of type b associated with record idx of type a, by target index."""
    found: dict[int, dict[int, AssocType]] = {}
    removed = store.assoc.removed
    an, bn = a.otype.name, b.otype.name
    for src in _sources(a, idx):
        for tgt, types in _raw_targets(store, a, src, b):
            if (an, src, bn, tgt) in removed:
                continue
            tgt = b.live.resolve(tgt)
            if b.live.status(tgt) != LIVE or (a is b and tgt == idx):
                continue
            slot = found.setdefault(tgt, {})
            for t in types:
                slot.setdefault(t.type_id, t)
    return [(tgt, tuple(found[tgt].values())) for tgt in sorted(found)]
