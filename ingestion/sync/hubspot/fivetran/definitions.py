"""Pipelines and their stages, property definitions and their options, as Fivetran names them:
`deal_pipeline`, `deal_pipeline_stage`, `ticket_pipeline`, `ticket_pipeline_stage`, `property`,
`property_option` (docs/fivetran-layer.md, "CRM objects …").

A stage's `is_closed` and `probability` are HubSpot's stage metadata (columns of the mirror);
`closed_won` is not in HubSpot's v3 metadata: a closed stage with probability 1 is the won one.
Options are the elements of each definition's `options` JSON array, expanded into rows.
"""

from __future__ import annotations

from ingestion.base.backends.base import Backend, sql_literal
from ingestion.object_types import OBJECT_TYPES

from .layout import Table, expression, from_json, literal, typed

SYNCED = typed("_fivetran_synced", "timestamp", "t.synced_at")
DELETED = typed("_fivetran_deleted", "boolean", "t.archived")
ACTIVE = typed("active", "boolean", "NOT t.archived")


def fivetran_object(api_name: str) -> str:
    """Fivetran's name of an object type: the singular of HubSpot's API name (`deals` →
    `deal`, `companies` → `company`, `line_items` → `line_item`)."""
    if api_name.endswith("ies"):
        return api_name[:-3] + "y"
    if api_name.endswith("xes"):
        return api_name[:-2]
    return api_name[:-1] if api_name.endswith("s") else api_name


def object_name_sql(column: str) -> str:
    """SQL for Fivetran's object name of the API type name in `column` (custom types, `2-…`,
    keep theirs)."""
    cases = " ".join(
        f"WHEN {sql_literal(entry.name)} THEN {sql_literal(fivetran_object(entry.name))}"
        for entry in OBJECT_TYPES)
    return f"(CASE {column} {cases} ELSE {column} END)"


def pipeline(name: str, object_type: str, *extra) -> Table:
    return Table(name, "hubspot_pipeline t", (
        typed("pipeline_id", "text", "t.pipeline_id"),
        typed("label", "text", "t.label"),
        typed("display_order", "integer", "t.display_order"),
        ACTIVE, DELETED, SYNCED,
        typed("created_at", "timestamp", "t.created_at"),
        typed("updated_at", "timestamp", "t.updated_at"),
        *extra,
    ), where=f"t.object_type = {sql_literal(object_type)}")


def stage(name: str, object_type: str, *extra) -> Table:
    return Table(name, "hubspot_pipeline_stage t", (
        typed("stage_id", "text", "t.stage_id"),
        typed("pipeline_id", "text", "t.pipeline_id"),
        typed("label", "text", "t.label"),
        typed("display_order", "integer", "t.display_order"),
        typed("is_closed", "boolean", "t.is_closed"),
        ACTIVE, DELETED, SYNCED,
        typed("created_at", "timestamp", "t.created_at"),
        typed("updated_at", "timestamp", "t.updated_at"),
        *extra,
    ), where=f"t.object_type = {sql_literal(object_type)}")


def _options(db: Backend) -> str:
    """Each definition with one row (`o.value`) per element of its `options` array."""
    if db.vendor == "postgresql":
        return ("hubspot_property t CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN "
                "jsonb_typeof(t.options) = 'array' THEN t.options ELSE '[]'::jsonb END) "
                "AS o(value)")
    return ("hubspot_property t, json_each(CASE WHEN json_type(t.options) = 'array' "
            "THEN t.options ELSE '[]' END) o")


TABLES = (
    pipeline("deal_pipeline", "deals"),
    stage("deal_pipeline_stage", "deals",
          typed("probability", "float", "t.probability"),
          typed("closed_won", "boolean", "(t.is_closed AND COALESCE(t.probability, 0) >= 1)")),
    pipeline("ticket_pipeline", "tickets",
             literal("object_type_id", "text", "0-5")),
    stage("ticket_pipeline_stage", "tickets", typed("ticket_state", "text", "t.ticket_state")),
    # `_fivetran_id` is the mirror's key of the definition (`deals:amount`), which each of its
    # options names in `property_id`.
    Table("property", "hubspot_property t", (
        typed("_fivetran_id", "text", "t.id"), SYNCED, DELETED,
        expression("hubspot_object", "text", lambda db: object_name_sql("t.object_type")),
        typed("name", "text", "t.name"),
        typed("label", "text", "t.label"),
        typed("type", "text", "t.type"),
        typed("field_type", "text", "t.field_type"),
        typed("group_name", "text", "t.group_name"),
        typed("description", "text", "t.description"),
        typed("calculated", "boolean", "t.calculated"),
        typed("hubspot_defined", "boolean", "t.hubspot_defined"),
        from_json("show_currency_symbol", "boolean", "t.raw", "showCurrencySymbol"),
        typed("created_at", "timestamp", "t.created_at"),
        typed("updated_at", "timestamp", "t.updated_at"),
    )),
    Table("property_option", _options, (
        typed("property_id", "text", "t.id"),
        expression("hubspot_object", "text", lambda db: object_name_sql("t.object_type")),
        typed("name", "text", "t.name"),
        from_json("label", "text", "o.value", "label"),
        from_json("value", "text", "o.value", "value"),
        from_json("display_order", "integer", "o.value", "displayOrder"),
        from_json("hidden", "boolean", "o.value", "hidden"),
        SYNCED,
    )),
)
