"""The `property_<name>` columns of the CRM object tables: one per property definition of the
type (and per stage calculated property), typed as in the typed views, named by the typed
views' rules with the prefix `property_` (typed_views.column_names: within PostgreSQL's
63-byte limit, distinct and deterministic).

A type with more properties than one view can hold (typed_views.PROPERTIES_PER_VIEW) gets
its table's declared columns and the first run of properties in the table itself, and the
next runs in `<table>_2`, `_3` … each starting with the table's id column (its first
declared column) to join on: the typed views' split (docs/fivetran-layer.md).
"""

from __future__ import annotations

import dataclasses

from ..typed_views import column_names, part_name, property_definitions, split_columns
from .layout import Column, Table, json_path_text, parse

PREFIX = "property_"

# The typed views' types → the layer's (Fivetran keeps multi-checkbox values as `a;b` text).
_LAYER_TYPE = {"numeric": "numeric", "timestamp": "timestamp", "date": "date",
               "boolean": "boolean", "array": "text", "text": "text"}
# Properties holding the id of an owner or a team: HubSpot types them as enumerations (text),
# but dbt_hubspot joins them with owner.owner_id and team ids (bigint) without casts.
ID_PROPERTIES = frozenset({"hubspot_owner_id", "hubspot_team_id"})


def with_property_columns(table: Table) -> list[Table]:
    """`table` with its property columns: one table, or several for a very wide type."""
    if table.properties_of is None:
        return [table]
    definitions = property_definitions().get(table.properties_of, [])
    declared = {column.name for column in table.columns}  # e.g. an id typed bigint, not text
    columns = tuple(c for c in property_columns(definitions) if c.name not in declared)
    if table.property_filter is not None:
        columns = table.property_filter(columns)
    first, *rest = split_columns(columns)
    parts = [dataclasses.replace(table, property_columns=first)]
    for number, run in enumerate(rest, start=2):
        parts.append(dataclasses.replace(
            table, name=part_name(table.name, number), columns=table.columns[:1],
            property_columns=run))
    return parts


def property_columns(definitions: list[tuple[str, str]]) -> list[Column]:
    names = column_names([name for name, _ in definitions], prefix=PREFIX, reserved=())
    columns = []
    for prop, view_type in definitions:
        sql_type = "bigint" if prop in ID_PROPERTIES else _LAYER_TYPE[view_type]
        columns.append(Column(names[prop], sql_type, _reader(prop, sql_type)))
    return columns


def _reader(prop: str, sql_type: str):
    return lambda db: parse(db, sql_type, json_path_text(db, "t.properties", prop))
