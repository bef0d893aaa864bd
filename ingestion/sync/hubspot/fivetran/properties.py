"""The `property_<name>` columns of the CRM object tables: one per property definition of the
type (and per stage calculated property), typed as in the typed views, named as Fivetran names
them (`property_` + the typed view's column name, within PostgreSQL's 63-byte limit)."""

from __future__ import annotations

import dataclasses
import hashlib

from ..typed_views import MAX_NAME, column_names
from ..typed_views import _definitions as property_definitions
from .layout import Column, Table, json_path_text, parse

PREFIX = "property_"
MAX_PROPERTY_COLUMNS = 1_500  # below PostgreSQL's 1,600 columns, leaving room for the rest

# The typed views' types → the layer's (Fivetran keeps multi-checkbox values as `a;b` text).
_LAYER_TYPE = {"numeric": "numeric", "timestamp": "timestamp", "date": "date",
               "boolean": "boolean", "array": "text", "text": "text"}
# Properties holding the id of an owner or a team: HubSpot types them as enumerations (text),
# but dbt_hubspot joins them with owner.owner_id and team ids (bigint) without casts.
ID_PROPERTIES = frozenset({"hubspot_owner_id", "hubspot_team_id"})


def with_property_columns(table: Table) -> Table:
    if table.properties_of is None:
        return table
    definitions = property_definitions().get(table.properties_of, [])
    return dataclasses.replace(table, property_columns=tuple(property_columns(definitions)))


def property_columns(definitions: list[tuple[str, str]]) -> list[Column]:
    names = column_names([name for name, _ in definitions])
    columns = []
    for prop, view_type in definitions[:MAX_PROPERTY_COLUMNS]:
        sql_type = "bigint" if prop in ID_PROPERTIES else _LAYER_TYPE[view_type]
        columns.append(Column(prefixed(names[prop], prop), sql_type, _reader(prop, sql_type)))
    return columns


def prefixed(column: str, prop: str) -> str:
    name = PREFIX + column
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha1(prop.encode()).hexdigest()[:6]
    return f"{name[:MAX_NAME - 7]}_{digest}"


def _reader(prop: str, sql_type: str):
    return lambda db: parse(db, sql_type, json_path_text(db, "t.properties", prop))
