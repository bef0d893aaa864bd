"""Typed views for analysts: one database view per object type (`hubspot_contact_v` …, one per
custom object type), one column per property definition, typed from the definition, and one
per stage calculated property HubSpot does not list (typed by its name: stage_properties.py).

The tables keep every property as HubSpot's strings in `properties` (docs/data-model.md); a view
casts them safely (a value that does not parse is NULL in the view, intact in the table),
so `SELECT dealstage, sum(amount) FROM hubspot_deal_v GROUP BY 1` needs no cast and cannot
fail on a bad value. Views are rebuilt from `hubspot_property` after every property sync and
every pipeline stages sync (and by `manage.py build_hubspot_views`), in one transaction:
readers see the old views or the new ones, never none. `hubspot_view_column` records each
column's property and type. The history views (history_views.py: time ranges, each record as
of any time) are built in the same transaction, their columns named by the same rules.

The marketing sources' tables (SOURCE_MODELS: workflows, email events …) already hold typed
columns: their view `<table>_v` is every column but `raw` (HubSpot's JSON), as stored.

Naming (docs/analysts.md#column-names), deterministic for a given set of definitions, and
shared with other layers through `column_names(names, prefix, reserved)`:
- a property's column is `prefix` + its name made ASCII (accents dropped, other non-ASCII
  characters removed), lowercased, every run of characters other than a-z, 0-9 and `_` turned
  into one `_`, trimmed of `_` (`property` if nothing is left); `p_` in front if the column
  would start with a digit;
- a column longer than 63 bytes (PostgreSQL's identifier limit) is cut to 56 and gets `_` and
  the first 6 hex digits of sha1(property name): it depends on the name alone;
- the reserved columns (the record's own, RECORD_COLUMNS) are taken first; then properties
  whose column is `prefix` + their name unchanged claim theirs, then the others, each group
  in name order; a column already claimed is cut to 56 and gets `_` and the first 6 hex
  digits of sha1(property name) instead (8, 10 … in the unlikely case those are taken too).

Width: PostgreSQL holds at most 1,600 columns in a view. `split_columns` cuts a type's property
columns, in column name order, into runs of PROPERTIES_PER_VIEW: the first run goes in the
type's view with the record's own columns, each next one in `<view>_2`, `<view>_3` … with
`id` first, to join on. A column's view depends only on how many columns sort before it: a
property added or removed moves at most one column across each later boundary between views.
`hubspot_view_column` records every view's columns; a view no longer needed is dropped.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.db import connection, transaction
from django.utils import timezone

from ingestion.base.backends import backend
from ingestion.base.backends.base import quote_name, sql_literal
from ingestion.models import (
    SOURCE_MODELS,
    HubSpotCustomObject,
    HubSpotCustomObjectSchema,
    HubSpotProperty,
    HubSpotViewColumn,
)

from .stage_properties import sql_type as stage_sql_type
from .stage_properties import stage_properties_by_type

RECORD_COLUMNS = ("id", "created_at", "updated_at", "archived", "archived_at",
                  "deleted_kind", "merged_into")
MAX_NAME = 63  # bytes: PostgreSQL truncates longer identifiers (NAMEDATALEN - 1)
# PostgreSQL allows 1,600 columns in a view (1,664 in a select list), SQLite 2,000: a type's
# properties beyond this many go to further views, room left for a layer's own columns.
PROPERTIES_PER_VIEW = 1_500

T = TypeVar("T")


@dataclass(frozen=True)
class ViewColumn:
    name: str
    property: str | None  # None: the record's own column
    sql_type: str


@dataclass(frozen=True)
class ViewSpec:
    name: str
    object_type: str
    table: str
    id_column: str  # the column holding HubSpot's record id
    type_id: str | None  # custom objects share a table: the rows of this type
    columns: tuple[ViewColumn, ...]
    query: str = ""  # the view's own SELECT, if not the table's properties (history_views.py)


@dataclass
class ViewReport:
    built: list[str]
    unchanged: list[str]
    dropped: list[str]

    def summary(self) -> str:
        return (f"typed views: {len(self.built)} built, {len(self.unchanged)} unchanged, "
                f"{len(self.dropped)} dropped")


def sql_type_of(definition_type: str | None, field_type: str | None) -> str:
    """The view column type of a HubSpot property definition (its `type` and `fieldType`)."""
    if field_type == "booleancheckbox" or definition_type == "bool":
        return "boolean"
    if definition_type == "enumeration" and field_type == "checkbox":
        return "array"  # several values, "a;b;c"
    return {"number": "numeric", "datetime": "timestamp", "date": "date"}.get(
        definition_type or "", "text")


def clean_name(name: str) -> str:
    """A name as an SQL identifier (module doc), cut to MAX_NAME: for view names."""
    return _cut(_column("", name), MAX_NAME)


def _clean(name: str) -> str:
    """ASCII (accents dropped), lowercase, each run of other characters one `_`, trimmed of
    `_`; `property` if nothing is left."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9_]+", "_", ascii_name.lower()).strip("_") or "property"


def column_names(property_names: Iterable[str], prefix: str = "",
                 reserved: Iterable[str] = RECORD_COLUMNS) -> dict[str, str]:
    """Each property's column name, `prefix` + its cleaned name (module doc: the naming
    rules); distinct from each other and from `reserved`, at most MAX_NAME bytes."""
    taken = set(reserved)
    names: dict[str, str] = {}
    wanted = {prop: _column(prefix, prop) for prop in set(property_names)}
    # Names already clean claim their column first, so `amount` stays `amount` beside `Amount`.
    for prop in sorted(wanted, key=lambda p: (wanted[p] != prefix + p, p)):
        column = wanted[prop]
        if column in taken:
            column = _hashed(column, prop, taken)
        taken.add(column)
        names[prop] = column
    return names


def _column(prefix: str, prop: str) -> str:
    """A property's own column: too long for an identifier → cut, with the name's digest (so
    it depends on nothing but the name)."""
    column = prefix + _clean(prop)
    if column[:1].isdigit():
        column = "p_" + column
    if len(column.encode()) > MAX_NAME:
        column = f"{_cut(column, MAX_NAME - 7)}_{_digest(prop)[:6]}"
    return column


def _hashed(column: str, prop: str, taken: set[str]) -> str:
    """A claimed column's replacement: `_` and the start of the name's digest (longer in the
    unlikely case that one is taken too)."""
    digest = _digest(prop)
    for digits in range(6, len(digest) + 1, 2):
        candidate = f"{_cut(column, MAX_NAME - digits - 1)}_{digest[:digits]}"
        if candidate not in taken:
            return candidate
    raise ValueError(f"no free column for property {prop!r}")  # 20 digest lengths all taken


def _digest(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def _cut(text: str, limit: int) -> str:
    """`text`'s first `limit` bytes (whole characters)."""
    return text.encode()[:limit].decode(errors="ignore")


def split_columns(columns: Iterable[T],
                  per_view: int = PROPERTIES_PER_VIEW) -> list[tuple[T, ...]]:
    """`columns` (names, or anything with a `name`) in name order, cut into runs of at most
    `per_view`: the first run goes in a type's first view, the next in its `_2` … A column's
    run depends only on how many names sort before it (module doc: what can move)."""
    ordered = sorted(columns, key=_name_of)
    return [tuple(ordered[start:start + per_view])
            for start in range(0, len(ordered), per_view)] or [()]


def _name_of(column) -> str:
    return column if isinstance(column, str) else column.name


def part_name(view: str, part: int) -> str:
    """The name of a type's `part`-th view (1: the view itself), at most MAX_NAME bytes."""
    if part == 1:
        return view
    suffix = f"_{part}"
    return _cut(view, MAX_NAME - len(suffix)) + suffix


def wanted_views(record_engines: Iterable) -> list[ViewSpec]:
    """The views of each record type's engine (`object_type`, `model`: engines/registry.py's
    RECORD_ENGINES), and of each custom type (by its defined properties or schema)."""
    definitions = property_definitions()
    views = [spec for engine in record_engines
             for spec in _specs(engine.model._meta.db_table + "_v", engine.object_type,
                                engine.model._meta.db_table, "id", None,
                                definitions.get(engine.object_type, []))]
    for type_id, label in _custom_types(definitions).items():
        views += _specs(label, type_id, HubSpotCustomObject._meta.db_table, "record_id",
                        type_id, definitions.get(type_id, []))
    return views + [_source_spec(name, model) for name, model in SOURCE_MODELS.items()]


def _source_spec(name: str, model) -> ViewSpec:
    """A marketing source's view: its typed columns as they are, without `raw`."""
    columns = [ViewColumn(f.column, None, _SOURCE_TYPES.get(f.get_internal_type(), "text"))
               for f in model._meta.concrete_fields if f.column != "raw"]
    return ViewSpec(model._meta.db_table + "_v", name, model._meta.db_table, "id", None,
                    tuple(columns))


def property_definitions() -> dict[str, list[tuple[str, str]]]:
    by_type: dict[str, list[tuple[str, str]]] = {}
    for object_type, name, kind, field_type in HubSpotProperty.objects.filter(
            archived=False).order_by("object_type", "name").values_list(
            "object_type", "name", "type", "field_type"):
        by_type.setdefault(object_type, []).append((name, sql_type_of(kind, field_type)))
    for object_type, names in stage_properties_by_type().items():
        # Stage calculated properties HubSpot does not list have no definition: typed by
        # name (docs/hubspot-api.md#stage-calculated-properties).
        defined = {name for name, _ in by_type.get(object_type, [])}
        computed = [(name, stage_sql_type(name)) for name in names if name not in defined]
        if computed:
            by_type[object_type] = sorted(by_type.get(object_type, []) + computed)
    return by_type


def _custom_types(definitions: dict) -> dict[str, str]:
    """Custom type id → its view's name: `hubspot_custom_<schema name>_v`, or by type id."""
    names = dict(HubSpotCustomObjectSchema.objects.filter(archived=False)
                 .values_list("id", "name"))
    type_ids = sorted({*names, *(t for t in definitions if t.startswith("2-"))})
    views: dict[str, str] = {}
    for type_id in type_ids:
        base = clean_name(names.get(type_id) or type_id.replace("-", "_"))
        view = f"hubspot_custom_{base}"[:MAX_NAME - 2] + "_v"
        if view in views.values():
            view = f"hubspot_custom_{clean_name(type_id)}_v"
        views[type_id] = view
    return views


def _specs(name: str, object_type: str, table: str, id_column: str, type_id: str | None,
           properties: list[tuple[str, str]]) -> list[ViewSpec]:
    """A type's views: the first with the record's own columns, each further one with `id`
    (to join on), each with the next PROPERTIES_PER_VIEW property columns by name."""
    columns = column_names([p for p, _ in properties])
    typed = [ViewColumn(columns[p], p, sql_type) for p, sql_type in properties]
    own = [ViewColumn(c, None, _RECORD_TYPES[c]) for c in RECORD_COLUMNS]
    return [ViewSpec(part_name(name, n), object_type, table, id_column, type_id,
                     tuple((own if n == 1 else own[:1]) + list(chunk)))
            for n, chunk in enumerate(split_columns(typed), start=1)]


_RECORD_TYPES = {"id": "text", "created_at": "timestamp", "updated_at": "timestamp",
                 "archived": "boolean", "archived_at": "timestamp", "deleted_kind": "text",
                 "merged_into": "text"}


_SOURCE_TYPES = {"DateTimeField": "timestamp", "BooleanField": "boolean",
                 "IntegerField": "integer", "BigIntegerField": "integer",
                 "FloatField": "numeric", "DecimalField": "numeric", "JSONField": "json"}


def view_sql(spec: ViewSpec) -> str:
    """CREATE VIEW for one spec: an inner select pulls each property's text out of the JSON
    once, the outer one casts it (so each value is extracted once per row)."""
    if spec.query:
        return f"CREATE VIEW {quote_name(spec.name)} AS {spec.query}"
    db = backend()
    inner = [f"t.{quote_name(spec.id_column)} AS {quote_name('id')}"]
    inner += [f"t.{quote_name(c.name)}" for c in spec.columns if c.property is None
              and c.name != "id"]
    outer = [f"s.{quote_name(c.name)}" for c in spec.columns if c.property is None]
    for n, column in enumerate(c for c in spec.columns if c.property is not None):
        alias = quote_name(f"_p{n}")
        inner.append(f"{db.json_text('t.properties', column.property)} AS {alias}")
        outer.append(f"{db.typed_value(column.sql_type, 's.' + alias)} "
                     f"AS {quote_name(column.name)}")
    where = f" WHERE t.object_type_id = {sql_literal(spec.type_id)}" if spec.type_id else ""
    return (f"CREATE VIEW {quote_name(spec.name)} AS SELECT {', '.join(outer)} FROM "
            f"(SELECT {', '.join(inner)} FROM {quote_name(spec.table)} t{where}) s")


def build_views(record_engines: Iterable, *, rebuild: bool = False) -> ViewReport:
    """Make the views match the property definitions: (re)create those that changed (all
    with `rebuild`), drop those of types gone, in one transaction. The history views
    (history_views.py) are built with them, from the same definitions."""
    from .history_views import existing as history_views_in  # (it imports this module)
    from .history_views import history_views
    from .union import drop_union, rebuild_union

    wanted = wanted_views(record_engines)
    wanted += history_views(wanted)
    report = ViewReport([], [], [])
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        backend().prepare_typed_views(cursor)
        drop_union(cursor)  # its views read these: rebuilt below, in this transaction
        stored = _stored_columns()
        existing = set(connection.introspection.table_names(cursor, include_views=True))
        for spec in wanted:
            if not rebuild and spec.name in existing and stored.get(spec.name) == spec.columns:
                report.unchanged.append(spec.name)
                continue
            cursor.execute(f"DROP VIEW IF EXISTS {quote_name(spec.name)}")
            cursor.execute(view_sql(spec))
            _record_columns(spec, now)
            report.built.append(spec.name)
        known = set(stored) | history_views_in(existing)
        for gone in sorted(known - {spec.name for spec in wanted}):
            cursor.execute(f"DROP VIEW IF EXISTS {quote_name(gone)}")
            HubSpotViewColumn.objects.filter(view_name=gone).delete()
            report.dropped.append(gone)
        rebuild_union()
    return report


def drop_views() -> list[str]:
    """Drop every typed and history view (before migrations that rebuild the tables they
    read)."""
    from .history_views import existing as history_views_in
    from .union import drop_union

    with transaction.atomic(), connection.cursor() as cursor:
        drop_union(cursor)
        views = connection.introspection.table_names(cursor, include_views=True)
        names = sorted(set(_stored_columns()) | history_views_in(views))
        for name in names:
            cursor.execute(f"DROP VIEW IF EXISTS {quote_name(name)}")
    return names


def _stored_columns() -> dict[str, tuple[ViewColumn, ...]]:
    views: dict[str, list[ViewColumn]] = {}
    for view, column, prop, sql_type in HubSpotViewColumn.objects.order_by(
            "view_name", "position").values_list(
            "view_name", "column_name", "property_name", "sql_type"):
        views.setdefault(view, []).append(ViewColumn(column, prop, sql_type))
    return {view: tuple(columns) for view, columns in views.items()}


def _record_columns(spec: ViewSpec, now) -> None:
    HubSpotViewColumn.objects.filter(view_name=spec.name).delete()
    HubSpotViewColumn.objects.bulk_create([
        HubSpotViewColumn(view_name=spec.name, object_type=spec.object_type, position=n,
                          column_name=c.name, property_name=c.property, sql_type=c.sql_type,
                          built_at=now)
        for n, c in enumerate(spec.columns)], batch_size=500)
