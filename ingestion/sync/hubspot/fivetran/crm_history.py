"""Property history as Fivetran names it: `<object>_property_history` (one row per kept version
of a property) and `deal_stage` (each deal's stages as time ranges), read from
`hubspot_property_history`, which holds the versions of the properties whose history the mirror
keeps (docs/analysts.md#property-history; docs/fivetran-layer.md, "CRM objects …").

Ranges: a version lasts until the next version of the same property of the same record
(`LEAD` over the record's versions, one pass over the history index); the current one ends
at 9999-12-31 23:59:59, as Fivetran's history tables say "still active".
"""

from __future__ import annotations

from ingestion.base.backends.base import Backend, sql_literal

from .layout import Column, Table, expression, parse, parsed, typed

END_OF_TIME = "9999-12-31 23:59:59"


def _end_of_time(db: Backend) -> str:
    if db.vendor == "postgresql":
        return f"TIMESTAMPTZ '{END_OF_TIME}+00'"
    return sql_literal(END_OF_TIME)


def ranges(start: str, partition: str, order: str) -> tuple[Column, ...]:
    """`_fivetran_start`/`_fivetran_end`/`_fivetran_active` of versions starting at `start`,
    one range after another within `partition`."""
    following = f"LEAD({start}) OVER (PARTITION BY {partition} ORDER BY {order})"
    return (
        typed("_fivetran_start", "timestamp", start),
        expression("_fivetran_end", "timestamp",
                   lambda db: f"COALESCE({following}, {_end_of_time(db)})"),
        expression("_fivetran_active", "boolean", lambda db: f"({following} IS NULL)"),
    )


def property_history(object_name: str, object_type: str, *extra: Column) -> Table:
    """Every kept version of the properties of `object_type`'s records."""
    return Table(f"{object_name}_property_history", "hubspot_property_history h", (
        parsed(f"{object_name}_id", "bigint", "h.object_id"),
        typed("name", "text", "h.property"),
        typed("value", "text", "h.value"),
        typed("timestamp", "timestamp", 'h."timestamp"'),
        typed("source", "text", "h.source_type"),
        typed("source_id", "text", "h.source_id"),
        typed("_fivetran_synced", "timestamp", "h.synced_at"),
        *extra,
    ), where=f"h.object_type = {sql_literal(object_type)}")


def _entered_current_stage(db: Backend) -> str:
    """When a deal without kept stage history entered its current stage: HubSpot's own
    `hs_v2_date_entered_<stage>` of that stage, else the deal's creation."""
    key = "('hs_v2_date_entered_' || d.dealstage)"
    if db.vendor == "postgresql":
        entered = f"(d.properties ->> {key})"
    else:  # a JSON path holds only plain stage ids (HubSpot's are letters and digits)
        entered = (f"(CASE WHEN d.dealstage GLOB '*[^A-Za-z0-9_-]*' THEN NULL ELSE "
                   f"json_extract(d.properties, '$.\"' || {key} || '\"') END)")
    return f"COALESCE({parse(db, 'timestamp', entered)}, d.createdate, d.created_at)"


def _deal_stages(db: Backend) -> str:
    """The dealstage versions kept, and for every deal with none its current stage."""
    kept = ("SELECT h.object_id AS deal_id, h.value AS value, h.\"timestamp\" AS entered, "
            "h.source_type AS source, h.source_id AS source_id, h.synced_at AS synced_at, "
            "h.key AS tiebreak FROM hubspot_property_history h "
            "WHERE h.object_type = 'deals' AND h.property = 'dealstage'")
    current = (f"SELECT d.id, d.dealstage, {_entered_current_stage(db)}, NULL, NULL, "
               f"d.synced_at, '' FROM hubspot_deal d WHERE d.dealstage IS NOT NULL "
               f"AND NOT EXISTS (SELECT 1 FROM hubspot_property_history h "
               f"WHERE h.object_type = 'deals' AND h.object_id = d.id "
               f"AND h.property = 'dealstage')")
    return f"({kept} UNION ALL {current}) s"


TABLES = (
    property_history("company", "companies"),
    property_history("contact", "contacts"),
    property_history("deal", "deals"),
    # The service part reads ticket history as ranges (dbt_hubspot's daily ticket history).
    property_history("ticket", "tickets",
                     typed("timestamp_instant", "timestamp", 'h."timestamp"'),
                     *ranges('h."timestamp"', "h.object_id, h.property", 'h."timestamp", h.key')),
    Table("deal_stage", _deal_stages, (
        parsed("deal_id", "bigint", "s.deal_id"),
        typed("value", "text", "s.value"),
        typed("date_entered", "timestamp", "s.entered"),
        *ranges("s.entered", "s.deal_id", "s.entered, s.tiebreak"),
        typed("source", "text", "s.source"),
        typed("source_id", "text", "s.source_id"),
        typed("_fivetran_synced", "timestamp", "s.synced_at"),
    )),
)
