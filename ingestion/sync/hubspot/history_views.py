"""History as time ranges: the analysts' views over `hubspot_property_history`, built with the
typed views (typed_views.build_views: after every property or pipeline stages sync, by
`build_hubspot_views`, around migrations) and listed with them in `hubspot_view_column`.

- `hubspot_property_history_ranges_v`: one row per kept version of a property, with the time
  it held (`valid_from`: its timestamp; `valid_to`: the next version's, NULL for the current
  one) and `is_current`.
- `hubspot_<type>_history_v` (`hubspot_deal_history_v` …, custom types
  `hubspot_custom_<name>_history_v`), for each record type with kept history: one row per
  version of a record (each time any of its kept properties changed), with every kept
  property's value from then until `valid_to`, typed and named as in the type's typed view.
- `hubspot_deal_daily_v` (PostgreSQL): one row per deal and UTC day, from the day of its first
  version to today, with the kept properties' values at the end of that day.

Each view reads the table itself (no view reads another, so each can be dropped and rebuilt
alone). Plain SQL with window functions, on both databases.

Same-timestamp versions (two writes of one property of one record in the same millisecond):
the history cannot say which came last, so the ranges keep one of them, the one whose `key`
(the digest of the version, property_history._key) sorts highest, and leave the others out.
No range is ever empty, and a record's ranges of one property never overlap.

Which properties a record type's view holds: those whose history is kept by configuration
(HUBSPOT_STAGE_HISTORY's stage properties, HUBSPOT_PROPERTY_HISTORY) and those with stored
versions (e.g. kept once with --with-history); one of the latter joins the view at its next
build.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable

from django.conf import settings

from ingestion.base.backends import backend
from ingestion.base.backends.base import quote_name, sql_literal
from ingestion.models import SOURCE_MODELS, HubSpotPropertyHistory

from .property_history import STAGE_HISTORY
from .typed_views import MAX_NAME, ViewColumn, ViewSpec, column_names

TABLE = HubSpotPropertyHistory._meta.db_table
RANGES_VIEW = "hubspot_property_history_ranges_v"
DAILY_TYPES = {"deals": "hubspot_deal_daily_v"}  # PostgreSQL only (generate_series)
# The columns of a record's history view besides its properties (which give way to them).
HISTORY_COLUMNS = ("id", "valid_from", "valid_to", "is_current")

_RANGE_COLUMNS = (("object_type", "text"), ("object_id", "text"), ("property", "text"),
                  ("value", "text"), ("valid_from", "timestamp"), ("valid_to", "timestamp"),
                  ("is_current", "boolean"), ("source_type", "text"), ("source_id", "text"),
                  ("source_label", "text"), ("updated_by_user_id", "integer"))


# The names this module gives its views: with `existing`, they are dropped when no longer
# wanted even if `hubspot_view_column` lost track of them (a restored or flushed database).
NAMES = re.compile(r"hubspot_property_history_ranges_v|hubspot_\w+_(history|daily)_v")


def existing(names: Iterable[str]) -> set[str]:
    """Those of a database's table and view names that name a history view."""
    return {name for name in names if NAMES.fullmatch(name)}


def history_views(typed: Iterable[ViewSpec]) -> list[ViewSpec]:
    """The history views to build beside the typed views `typed`: the ranges, and for each
    record type with kept history its versions (and, on PostgreSQL, the deals' days)."""
    records = _one_spec_per_type(typed)
    kept = kept_properties(records)
    taken = {spec.name for spec in typed}
    views = [_ranges_spec()]
    for spec in records:
        if kept.get(spec.object_type):
            columns = _history_columns(spec, sorted(kept[spec.object_type]))
            views.append(_versions_spec(spec, columns, taken))
            daily = DAILY_TYPES.get(spec.object_type)
            if daily and backend().has_generate_series:
                views.append(_daily_spec(daily, spec.object_type, columns))
    return views


def _one_spec_per_type(typed: Iterable[ViewSpec]) -> list[ViewSpec]:
    """Each record type's typed view, with the property columns of its further views when a
    wide type is split (`hubspot_deal_v_2` …: typed_views.split_columns) added to the first."""
    by_type: dict[str, ViewSpec] = {}
    for spec in typed:
        if spec.object_type in SOURCE_MODELS:
            continue
        first = by_type.get(spec.object_type)
        if first is None:
            by_type[spec.object_type] = spec
        else:
            more = tuple(c for c in spec.columns if c.property is not None)
            by_type[spec.object_type] = dataclasses.replace(first, columns=first.columns + more)
    return list(by_type.values())


def kept_properties(records: list[ViewSpec]) -> dict[str, set[str]]:
    """By record type: the properties whose history is kept (module doc)."""
    kept: dict[str, set[str]] = {}
    if settings.HUBSPOT_STAGE_HISTORY:
        for object_type, name in STAGE_HISTORY.items():
            kept.setdefault(object_type, set()).add(name)
    for entry in settings.HUBSPOT_PROPERTY_HISTORY:
        kind, sep, name = entry.rpartition(":")
        for spec in records:
            if (kind == spec.object_type if sep else
                    any(c.property == name for c in spec.columns)):
                kept.setdefault(spec.object_type, set()).add(name)
    for object_type, name in HubSpotPropertyHistory.objects.values_list(
            "object_type", "property").distinct():
        kept.setdefault(object_type, set()).add(name)
    return kept


def _history_columns(spec: ViewSpec, properties: list[str]) -> tuple[ViewColumn, ...]:
    """The history view's columns: the record's id and range, then each kept property as the
    typed view names and types it (one without a definition: text, named by the same rules);
    a property column that would take a range column's name gets the digest suffix."""
    typed = {c.property: c for c in spec.columns if c.property is not None}
    names = column_names([*typed, *(p for p in properties if p not in typed)])
    columns = [ViewColumn("id", None, "text"), ViewColumn("valid_from", None, "timestamp"),
               ViewColumn("valid_to", None, "timestamp"),
               ViewColumn("is_current", None, "boolean")]
    for prop in properties:
        name = names[prop]
        if name in HISTORY_COLUMNS:
            name = f"{name}_{hashlib.sha1(prop.encode()).hexdigest()[:6]}"
        columns.append(ViewColumn(name, prop, typed[prop].sql_type if prop in typed else "text"))
    return tuple(columns)


def _versions_spec(spec: ViewSpec, columns: tuple[ViewColumn, ...], taken: set[str]
                   ) -> ViewSpec:
    base = spec.name.removesuffix("_v")
    name = f"{base[:MAX_NAME - len('_history_v')]}_history_v"
    if name in taken:  # a custom type's typed view already has it (`…_history_v`)
        digest = hashlib.sha1(spec.object_type.encode()).hexdigest()[:6]
        name = f"{base[:MAX_NAME - len('_history_v') - 7]}_{digest}_history_v"
    return ViewSpec(name, spec.object_type, TABLE, "object_id", None, columns,
                    query=versions_sql(spec.object_type, columns))


def _ranges_spec() -> ViewSpec:
    columns = tuple(ViewColumn(name, None, kind) for name, kind in _RANGE_COLUMNS)
    return ViewSpec(RANGES_VIEW, "property_history", TABLE, "object_id", None, columns,
                    query=ranges_sql())


def _daily_spec(name: str, object_type: str, columns: tuple[ViewColumn, ...]) -> ViewSpec:
    days = (ViewColumn("id", None, "text"), ViewColumn("day", None, "date"),
            *(c for c in columns if c.property is not None))
    return ViewSpec(name, object_type, TABLE, "object_id", None, days,
                    query=daily_sql(object_type, columns))


def _versions(where: str = "") -> str:
    """The stored versions, one per (record, property, time): module doc's tie-break. Times
    as the typed views show them (SQLite: UTC text to the millisecond)."""
    valid_from = backend().stored_timestamp(quote_name("timestamp"))
    return (
        "SELECT object_type, object_id, property, value, valid_from, source_type, source_id, "
        "source_label, updated_by_user_id FROM ("
        f"SELECT object_type, object_id, property, value, {valid_from} AS valid_from, "
        "source_type, source_id, source_label, updated_by_user_id, ROW_NUMBER() OVER ("
        "PARTITION BY object_type, object_id, property, "
        f"{valid_from} ORDER BY {quote_name('key')} DESC) AS same_time_rank "
        f"FROM {quote_name(TABLE)}{where}) h WHERE same_time_rank = 1")


def ranges_sql() -> str:
    following = "OVER (PARTITION BY object_type, object_id, property ORDER BY valid_from)"
    return (f"SELECT object_type, object_id, property, value, valid_from, "
            f"LEAD(valid_from) {following} AS valid_to, "
            f"(LEAD(valid_from) {following} IS NULL) AS is_current, source_type, source_id, "
            f"source_label, updated_by_user_id FROM ({_versions()}) v")


def versions_sql(object_type: str, columns: tuple[ViewColumn, ...]) -> str:
    """A record type's versions: each point where a kept property changed, with each
    property's value then. Per property k: `_vk` its value set at that point, `_ck` whether
    it was set there; `_gk` counts its changes so far, so the points sharing a `_gk` are one
    stay of the property, and the value set at the stay's first point fills the rest."""
    props = [c for c in columns if c.property is not None]
    names = ", ".join(sql_literal(c.property) for c in props)
    where = f" WHERE object_type = {sql_literal(object_type)} AND property IN ({names})"
    changed = ", ".join(
        f"MAX(CASE WHEN property = {sql_literal(c.property)} THEN 1 ELSE 0 END) AS _c{k}, "
        f"MAX(CASE WHEN property = {sql_literal(c.property)} THEN value END) AS _v{k}"
        for k, c in enumerate(props))
    stays = ", ".join(f"_v{k}, SUM(_c{k}) OVER (PARTITION BY object_id ORDER BY valid_from "
                      f"ROWS UNBOUNDED PRECEDING) AS _g{k}" for k in range(len(props)))
    filled = ", ".join(f"MAX(_v{k}) OVER (PARTITION BY object_id, _g{k}) AS _p{k}"
                       for k in range(len(props)))
    db = backend()
    typed = ", ".join(f"{db.typed_value(c.sql_type, f'_p{k}')} AS {quote_name(c.name)}"
                      for k, c in enumerate(props))
    return (
        f"SELECT object_id AS id, valid_from, valid_to, (valid_to IS NULL) AS is_current, "
        f"{typed} FROM ("
        f"SELECT object_id, valid_from, LEAD(valid_from) OVER (PARTITION BY object_id ORDER BY "
        f"valid_from) AS valid_to, {filled} FROM ("
        f"SELECT object_id, valid_from, {stays} FROM ("
        f"SELECT object_id, valid_from, {changed} FROM ({_versions(where)}) v "
        f"GROUP BY object_id, valid_from) points) stays) filled")


def daily_sql(object_type: str, columns: tuple[ViewColumn, ...]) -> str:
    """PostgreSQL: each version spread over the UTC days it was in force at the day's end:
    from its own day to the day before its successor's (a version replaced on its own day
    has none), the current one to today."""
    values = ", ".join(f"h.{quote_name(c.name)}" for c in columns if c.property is not None)
    first = "date_trunc('day', h.valid_from AT TIME ZONE 'UTC')"
    last = ("COALESCE(date_trunc('day', h.valid_to AT TIME ZONE 'UTC') - interval '1 day', "
            "date_trunc('day', now() AT TIME ZONE 'UTC'))")
    return (f"SELECT h.id, d.day::date AS day, {values} "
            f"FROM ({versions_sql(object_type, columns)}) h "
            f"CROSS JOIN LATERAL generate_series({first}, {last}, interval '1 day') AS d(day)")
