"""Stage calculated properties (docs/hubspot-api.md#stage-calculated-properties): for each stage
of a record's pipelines (deals, tickets) or lifecycle (contacts, companies), HubSpot computes
when the record last entered it, last left it, how long its last completed stay lasted and
how long all its completed stays lasted together.

They are answered only when asked for by name: the properties API does not list them (as
HubSpot does for pipeline stages; *choice* for lifecycle stages, which some portals list).
Values follow the record's stage path: its generated stage from its creation time, then
every written value of its stage property at the time written (`Overlay.stage_moves`). Dates
are ISO with milliseconds, durations whole milliseconds as strings; a stage never left has no
exit and no durations (HubSpot fills the time ones only when a stay ends, *choice* for the
cumulative one).
"""

from __future__ import annotations

from .schemas import ObjectType, pipeline_stage_ids
from .store import Overlay
from .timeutil import iso_ms

ENTERED, EXITED = "hs_v2_date_entered_", "hs_v2_date_exited_"
LATEST, CUMULATIVE = "hs_v2_latest_time_in_", "hs_v2_cumulative_time_in_"
PREFIXES = (ENTERED, EXITED, LATEST, CUMULATIVE)


def stage_ids(otype: ObjectType) -> list[str]:
    """The stages HubSpot computes the properties for: the pipelines' stages, or the options
    of `lifecyclestage`."""
    if not otype.stage_property:
        return []
    if otype.stage_property == "lifecyclestage":
        prop = otype.by_name.get("lifecyclestage")
        return list(prop.options) if prop is not None else []
    return pipeline_stage_ids(otype)


def stage_property_names(otype: ObjectType) -> set[str]:
    return {prefix + stage for stage in stage_ids(otype) for prefix in PREFIXES}


def stage_path(ov: Overlay, idx: int) -> list[tuple[str | None, int]]:
    """(stage, since when) in order, each a change of stage (None: no stage)."""
    stage_property = ov.data.otype.stage_property
    start = ov.data.record(idx).get(stage_property) if idx < ov.data.n else None
    path = [(start, ov.created_ms(idx))] if start is not None else []
    for stage, at in ov.stage_moves.get(idx, []):
        if not path or path[-1][0] != stage:
            path.append((stage, at))
    return path


def stage_values(otype: ObjectType, ov: Overlay, idx: int, names: list[str]) -> dict:
    """The values of the asked stage calculated properties of one record."""
    asked = [n for n in names if n.startswith(PREFIXES)]
    if not asked:
        return {}
    known = stage_property_names(otype)
    stays = _stays(stage_path(ov, idx))
    return {name: _value(name, stays) for name in asked if name in known}


def _stays(path: list[tuple[str | None, int]]) -> dict[str, list[tuple[int, int | None]]]:
    """Each stage's stays, (entered, left or None while still there), oldest first."""
    stays: dict[str, list[tuple[int, int | None]]] = {}
    for n, (stage, entered) in enumerate(path):
        left = path[n + 1][1] if n + 1 < len(path) else None
        if stage is not None:
            stays.setdefault(stage, []).append((entered, left))
    return stays


def _value(name: str, stays: dict[str, list[tuple[int, int | None]]]) -> str | None:
    prefix = next(p for p in PREFIXES if name.startswith(p))
    visits = stays.get(name[len(prefix):], [])
    done = [(entered, left) for entered, left in visits if left is not None]
    if prefix == ENTERED:
        return iso_ms(visits[-1][0]) if visits else None
    if prefix == EXITED:
        return iso_ms(done[-1][1]) if done else None
    if prefix == LATEST:
        return str(done[-1][1] - done[-1][0]) if done else None
    return str(sum(left - entered for entered, left in done)) if done else None
