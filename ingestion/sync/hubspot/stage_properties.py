"""HubSpot's stage calculated properties: four per stage, asked for by name because the
properties API need not list them (docs/hubspot-api.md#stage-calculated-properties).

For every stage of a type's pipelines (the types with `has_pipelines` in
ingestion/object_types.py: deals, tickets) and every lifecycle stage of contacts and companies
(`lifecycle_stages`: the options of their `lifecyclestage` property), HubSpot computes
`hs_v2_date_entered_<stage>` and `hs_v2_date_exited_<stage>` (datetimes) and
`hs_v2_latest_time_in_<stage>` and `hs_v2_cumulative_time_in_<stage>` (milliseconds).

The names are built from the stages the mirror stores (hubspot_pipeline_stage, written by
sync_hubspot_pipeline_stages; hubspot_property, by sync_hubspot_properties): a stage added in
HubSpot is asked for from the first record sync after the definitions sync that stored it
(sync_hubspot_all syncs definitions first). Their values land in `properties` like any other;
the typed views type them by name (`sql_type`), as no stored definition may describe them.
"""

from __future__ import annotations

import re

from ingestion.models import HubSpotPipelineStage, HubSpotProperty
from ingestion.object_types import BY_NAME, OBJECT_TYPES

DATE_PREFIXES = ("hs_v2_date_entered_", "hs_v2_date_exited_")
DURATION_PREFIXES = ("hs_v2_latest_time_in_", "hs_v2_cumulative_time_in_")
PREFIXES = DATE_PREFIXES + DURATION_PREFIXES
LIFECYCLE_PROPERTY = "lifecyclestage"


def names_of_stage(stage_id: str) -> list[str]:
    """The four property names of one stage."""
    return [prefix + _suffix(stage_id) for prefix in PREFIXES]


def _suffix(stage_id: str) -> str:
    # Property names hold lowercase letters, digits and `_`, as stage ids mostly do
    # (`appointmentscheduled`, `1`, `8134711`); any other character becomes `_` (*uncertain*
    # for such ids: docs/hubspot-api.md#stage-calculated-properties). HubSpot leaves an
    # unknown name out of its answer, so a wrong guess costs nothing.
    return re.sub(r"[^a-z0-9_]", "_", stage_id.lower())


def sql_type(name: str) -> str | None:
    """The typed view's column type of a stage calculated property; None for other names."""
    if name.startswith(DATE_PREFIXES):
        return "timestamp"
    if name.startswith(DURATION_PREFIXES):
        return "numeric"
    return None


def stage_ids(object_type: str) -> list[str]:
    """The stored stages of the type whose properties HubSpot computes: its live pipelines'
    stages in order, then its lifecycle stages; none for a type without either."""
    entry = BY_NAME.get(object_type)
    if entry is None:
        return []
    ids: list[str] = []
    if entry.has_pipelines:
        ids += HubSpotPipelineStage.objects.filter(
            object_type=object_type, archived=False).order_by(
            "pipeline_id", "display_order", "stage_id").values_list("stage_id", flat=True)
    if entry.lifecycle_stages:
        ids += _lifecycle_stage_ids(object_type)
    return list(dict.fromkeys(ids))


def _lifecycle_stage_ids(object_type: str) -> list[str]:
    options = HubSpotProperty.objects.filter(
        object_type=object_type, name=LIFECYCLE_PROPERTY, archived=False).values_list(
        "options", flat=True).first()
    return [str(o["value"]) for o in options or []
            if isinstance(o, dict) and isinstance(o.get("value"), str | int) and o["value"] != ""]


def stage_property_names(object_type: str) -> list[str]:
    """Every stage calculated property name of the type, four per stored stage."""
    return [name for stage in stage_ids(object_type) for name in names_of_stage(stage)]


def stage_properties_by_type() -> dict[str, list[str]]:
    """Each standard type's stage calculated property names (types without stages left out)."""
    found = {entry.name: stage_property_names(entry.name) for entry in OBJECT_TYPES
             if entry.has_pipelines or entry.lifecycle_stages}
    return {name: names for name, names in found.items() if names}
