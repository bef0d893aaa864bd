"""The Fivetran-compatible layer's machinery: a table is a declaration (its Fivetran name, the
mirror tables it reads, and for each Fivetran column an SQL expression and a type); this module
renders each as a view and builds them all in one transaction.

Where the views go: on PostgreSQL, in their own schema (HUBSPOT_FIVETRAN_SCHEMA, default
`hubspot_fivetran`; a named portal's: `<HUBSPOT_FIVETRAN_SCHEMA>_<portal>`, so each portal has
a layer of its own over its own tables: `schema()`), named exactly as Fivetran names its tables
(`hubspot_fivetran.deal`); on SQLite, which has no schemas a view may read across, in the
portal's database file with the schema as a prefix (`hubspot_fivetran_deal`). Which tables
and columns: the sibling modules (TABLES in __init__.py); what each means: docs/fivetran-layer.md.

Types: each column is declared with a type family (LAYER_TYPES) and rendered so that every
column naming the same HubSpot object has one type (ids are bigint everywhere: dbt_hubspot
joins them without casts). A value is either already of its family in the mirror (`typed`:
a plain CAST) or text parsed safely (`parsed`, `from_json`: NULL when it does not parse, never
an error, as in the typed views).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from ingestion.base.backends import backend
from ingestion.base.backends.base import Backend, quote_name, sql_literal
from ingestion.base.scopes import DataScope, current_scope

MAX_NAME = 63  # PostgreSQL's identifier limit (bytes; schema names here are ASCII)

Expression = Callable[[Backend], str]

# Each family's native type on each database. SQLite keeps no declared types for computed
# view columns: the CAST fixes the storage class (integer, real, text).
LAYER_TYPES = {
    "bigint": ("bigint", "INTEGER"),
    "integer": ("integer", "INTEGER"),
    "text": ("text", "TEXT"),
    "timestamp": ("timestamp with time zone", "TEXT"),
    "date": ("date", "TEXT"),
    "boolean": ("boolean", "INTEGER"),
    "numeric": ("numeric", "NUMERIC"),
    "float": ("double precision", "REAL"),
}


@dataclass(frozen=True)
class Column:
    name: str  # Fivetran's column name
    sql_type: str  # a LAYER_TYPES family
    sql: Expression  # the value, over the table's `source`


@dataclass(frozen=True)
class Table:
    """One Fivetran table: `source` is the FROM clause (mirror tables with aliases, joins), or a
    function of the backend returning it (expanding a JSON array into rows differs by
    database); `where` an optional filter. `properties_of` names an object type whose
    properties become `property_<name>` columns (typed like the typed views), read from alias
    `t`'s `properties`; a declared column of the same name takes the place of a property's,
    and `property_filter`, if given, may leave more of them out (properties.py)."""

    name: str
    source: str | Expression
    columns: tuple[Column, ...]
    where: str = ""
    properties_of: str | None = None
    property_columns: tuple[Column, ...] = field(default=())
    property_filter: Callable[[tuple[Column, ...]], tuple[Column, ...]] | None = None


def native(db: Backend, sql_type: str) -> str:
    return LAYER_TYPES[sql_type][0 if db.vendor == "postgresql" else 1]


def typed(name: str, sql_type: str, expression: str) -> Column:
    """A column whose value the mirror already holds in a compatible type."""
    return Column(name, sql_type,
                  lambda db: f"CAST({expression} AS {native(db, sql_type)})")


def parsed(name: str, sql_type: str, text_expression: str) -> Column:
    """A column parsed safely from text (NULL when it does not parse)."""
    return Column(name, sql_type, lambda db: parse(db, sql_type, text_expression))


def from_json(name: str, sql_type: str, json_column: str, *path: str) -> Column:
    """A column parsed safely from a value inside a JSON column (`raw`, `properties`)."""
    return Column(name, sql_type,
                  lambda db: parse(db, sql_type, json_path_text(db, json_column, *path)))


def literal(name: str, sql_type: str, value: str | int | bool | None = None) -> Column:
    """A constant (NULL by default): a column Fivetran has and the mirror cannot fill."""
    def render(db: Backend) -> str:
        if value is None:
            text = "NULL"
        elif isinstance(value, bool):
            text = ("TRUE" if value else "FALSE") if db.vendor == "postgresql" else str(int(value))
        elif isinstance(value, int):
            text = str(value)
        else:
            text = sql_literal(value)
        return f"CAST({text} AS {native(db, sql_type)})"
    return Column(name, sql_type, render)


def expression(name: str, sql_type: str, render: Expression) -> Column:
    """A column whose SQL depends on the database (rendered by `render`), cast to its type."""
    return Column(name, sql_type,
                  lambda db: f"CAST({render(db)} AS {native(db, sql_type)})")


def json_path_text(db: Backend, json_column: str, *path: str) -> str:
    """SQL for the text at `path` inside a JSON column (NULL when absent)."""
    if len(path) == 1:
        return db.json_text(json_column, path[0])
    if db.vendor == "postgresql":
        keys = ",".join('"' + key.replace('"', '\\"') + '"' for key in path)
        return f"({json_column} #>> {sql_literal('{' + keys + '}')})"
    steps = "".join('."' + key.replace('"', '\\"') + '"' for key in path)
    return f"json_extract({json_column}, {sql_literal('$' + steps)})"


def parse(db: Backend, sql_type: str, text: str) -> str:
    """Text → the family's type, NULL when it does not parse (the typed views' safe casts).
    Text stays text: on SQLite a JSON number read from `raw` would otherwise be a number."""
    if sql_type == "text":
        return f"CAST({text} AS {native(db, 'text')})"
    if sql_type in ("bigint", "integer"):
        return db.typed_value("bigint", text)
    if sql_type == "float":
        return f"CAST({db.typed_value('numeric', text)} AS {native(db, 'float')})"
    return db.typed_value(sql_type, text)


# -- names ------------------------------------------------------------------------------------

def schema() -> str:
    """The layer's schema for the portal this thread is in (PostgreSQL): the setting for the
    implicit portal, `<setting>_<portal name>` for a named one (dbt_hubspot's
    `hubspot_union_schemas` can list them: docs/fivetran-layer.md)."""
    return schema_of(current_scope())


def schema_of(scope: DataScope) -> str:
    """`scope`'s layer schema (SQLite: the prefix, the same in every portal's file)."""
    base = settings.HUBSPOT_FIVETRAN_SCHEMA
    if scope.implicit or connection.vendor != "postgresql":
        return base
    name = f"{base}_{scope.name}"
    if len(name) > MAX_NAME:  # PostgreSQL would cut it: cut it here, told apart by a digest
        digest = hashlib.sha1(name.encode()).hexdigest()[:6]
        name = f"{name[:MAX_NAME - 7]}_{digest}"
    return name


def view_name(table: str) -> str:
    """The quoted name a Fivetran table's view has on this database."""
    if connection.vendor == "postgresql":
        return f"{quote_name(schema())}.{quote_name(table)}"
    return quote_name(f"{schema()}_{table}")


def existing_views(cursor) -> list[str]:
    """The layer's views now in the database (their Fivetran table names)."""
    if connection.vendor == "postgresql":
        cursor.execute("SELECT table_name FROM information_schema.views "
                       "WHERE table_schema = %s ORDER BY table_name", [schema()])
        return [row[0] for row in cursor.fetchall()]
    prefix = f"{schema()}_"
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'view' AND substr(name, 1, %s) "
                   "= %s ORDER BY name", [len(prefix), prefix])
    return [row[0][len(prefix):] for row in cursor.fetchall()]


# -- building ---------------------------------------------------------------------------------

def view_sql(table: Table, db: Backend) -> str:
    columns = (*table.columns, *table.property_columns)
    select = ", ".join(f"{column.sql(db)} AS {quote_name(column.name)}" for column in columns)
    where = f" WHERE {table.where}" if table.where else ""
    source = table.source(db) if callable(table.source) else table.source
    return f"CREATE VIEW {view_name(table.name)} AS SELECT {select} FROM {source}{where}"


def build(tables: Iterable[Table]) -> list[str]:
    """Drop the layer's views and create `tables`' in one transaction (readers see the old
    layer or the new one); returns the names built."""
    from ..union import drop_union, rebuild_union

    db = backend()
    built = []
    with transaction.atomic(), connection.cursor() as cursor:
        db.prepare_typed_views(cursor)  # the safe casts (and, on PostgreSQL, one builder)
        drop_union(cursor)  # its views read the layer's: rebuilt below, in this transaction
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_name(schema())}")
        for name in existing_views(cursor):
            cursor.execute(f"DROP VIEW IF EXISTS {view_name(name)}")
        for table in tables:
            cursor.execute(view_sql(table, db))
            built.append(table.name)
        rebuild_union()
    return built


def drop_layer_schema(scope: DataScope) -> None:
    """A removed portal's layer schema (PostgreSQL; SQLite's layer went with its file)."""
    if connection.vendor == "postgresql" and not scope.implicit:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote_name(schema_of(scope))} CASCADE")


def drop() -> list[str]:
    """Drop every view of the layer (before migrations that rebuild the tables it reads)."""
    from ..union import drop_union

    with transaction.atomic(), connection.cursor() as cursor:
        drop_union(cursor)
        names = existing_views(cursor)
        for name in names:
            cursor.execute(f"DROP VIEW IF EXISTS {view_name(name)}")
    return names
