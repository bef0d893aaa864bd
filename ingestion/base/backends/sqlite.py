"""SQLite: executemany of one INSERT (… ON CONFLICT DO UPDATE); values Django would adapt
are adapted here; the real bound-parameter limit asked of each connection. SQLite already
runs with synchronous=NORMAL in WAL mode and BEGIN IMMEDIATE (config/settings.py)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable

import orjson
from django.db import connection, models
from django.db.models.expressions import RawSQL

from .base import MAX_NUMBER_TEXT, Adapter, Backend, column_list, sql_literal

PARAMETER_LIMIT_CAP = 32_766
PLAIN_KEY = re.compile(r"[A-Za-z0-9_]+")


class SQLiteBackend(Backend):
    vendor = "sqlite"

    def insert(self, table: str, columns: list[str], values: list[tuple],
               conflict_sql: str | None) -> None:
        marks = ", ".join(["%s"] * len(columns))
        sql = f'INSERT INTO "{table}" ({column_list(columns)}) VALUES ({marks})'
        with connection.cursor() as cursor:
            cursor.executemany(sql + (conflict_sql or ""), values)

    def pk_in(self, ids: list[str]) -> object:
        # One JSON parameter: `IN (%s, …)` would have Django prepare 1,000 values in Python.
        return RawSQL("SELECT value FROM json_each(%s)", [orjson.dumps(ids).decode()])

    def load_ids(self, cursor, table: str, ids: Iterable[str]) -> None:
        cursor.executemany(f'INSERT INTO "{table}" (id) VALUES (%s)',
                           ((object_id,) for object_id in ids))
        cursor.execute(f'CREATE INDEX "{table}_id" ON "{table}" (id)')

    def adapter(self, field: models.Field) -> Adapter | None:
        plain = (models.TextField, models.CharField, models.BooleanField, models.IntegerField)
        if isinstance(field, (models.JSONField, *plain)):
            return super().adapter(field)
        return lambda value: field.get_db_prep_save(value, connection)

    def on_connect(self, connection) -> None:
        """Django assumes SQLite's old limit of 999 bound parameters, which splits a
        1,000-row batch into dozens of INSERTs. SQLite >= 3.32 allows 32,766 or more: ask."""
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        connection.features.max_query_params = min(limit, PARAMETER_LIMIT_CAP)

    # -- typed views: plain SQL, no functions of ours, so any SQLite client can read them --

    def json_text(self, column: str, key: str) -> str:
        if PLAIN_KEY.fullmatch(key):
            return f"json_extract({column}, '$.\"{key}\"')"
        # A JSON path cannot quote every key (a `"` ends a quoted label): match it exactly.
        return (f"(SELECT json_each.value FROM json_each({column}) "
                f"WHERE json_each.key = {sql_literal(key)})")

    def typed_value(self, sql_type: str, text: str) -> str:
        return _SAFE_CASTS[sql_type].format(v=text)

    def stored_timestamp(self, column: str) -> str:
        # Django stores UTC text, with microseconds only when there are some: one form.
        return f"strftime('%Y-%m-%d %H:%M:%f', {column})"


# NULL when the text does not parse, never an error (SQLite's CAST would read "12abc" as 12).
# Numbers: what hubspot_to_numeric reads on PostgreSQL, checked with GLOB (SQLite has no
# regular expressions), as SQLite's own 64-bit integers and floats (so nothing beyond a float's
# range). Dates: ISO 8601 that SQLite reads back unchanged (2024-02-30 comes back as
# 2024-03-01 from a day number), or epoch milliseconds. Datetimes come out as UTC
# 'YYYY-MM-DD HH:MM:SS.SSS', booleans as 1/0, multi-checkboxes as JSON arrays. What each reads:
# docs/analysts.md.
_ISO_DATE = ("{v} GLOB '[1-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]*' "
             "AND date(julianday(substr({v}, 1, 10))) = substr({v}, 1, 10)")
_EPOCH = "{v} <> '' AND {v} NOT GLOB '*[^0-9]*' AND length({v}) <= 13"
_TRIMMED = "trim({v}, ' ' || char(9, 10, 13))"
_NUMBER_SHAPE = " AND ".join(check.replace("{t}", _TRIMMED) for check in (
    f"length({{v}}) <= {MAX_NUMBER_TEXT}",
    "{t} NOT GLOB '*[^0-9eE.+-]*'",  # nothing but a number's characters
    "{t} NOT GLOB '*[eE]*[eE]*'",  # one exponent at most
    "{t} NOT GLOB '*[^eE][+-]*'",  # a sign first, or right after the exponent's e
    "{t} NOT GLOB '*.*.*'", "{t} NOT GLOB '*[eE]*.*'",  # one point at most, before the e
    "{t} GLOB '*[0-9]*'", "({t} GLOB '*[0-9]*[eE]*' OR {t} NOT GLOB '*[eE]*')",  # a digit
    "{t} NOT GLOB '*[eE]'", "{t} NOT GLOB '*[eE][+-]'",  # and one after the e
    "{t} NOT GLOB '*[eE]*[0-9][0-9][0-9][0-9][0-9]*'"))  # four at most
_NUMBER = f"({_TRIMMED} + 0)"
# Most values are plain JSON numbers: read those first, with no trimming (JSON allows the same
# spaces around), so a clean column costs about what a bare cast would.
_JSON_NUMBER = (f"json_valid({{v}}) AND json_type({{v}}) IN ('integer', 'real') "
                f"AND length({{v}}) <= {MAX_NUMBER_TEXT} "
                f"AND {{v}} NOT GLOB '*[eE]*[0-9][0-9][0-9][0-9][0-9]*'")
_FINITE = "BETWEEN -1.7976931348623157e308 AND 1.7976931348623157e308"  # not inf
# A whole number: integer text (a point and zeros after it dropped), or an exponent form
# that comes out whole and in range (read through a float, like any number here).
_WHOLE = (f"((CASE WHEN {_TRIMMED} GLOB '*.*' AND {_TRIMMED} NOT GLOB '*[eE]*' "
          f"THEN rtrim(rtrim({_TRIMMED}, '0'), '.') ELSE {_TRIMMED} END) + 0)")
_SAFE_CASTS = {
    "text": "{v}",
    # No abs(): abs(-9223372036854775808) is an "integer overflow" error.
    "numeric": (f"(CASE WHEN {_JSON_NUMBER} THEN CASE WHEN {{v}} + 0 {_FINITE} THEN {{v}} + 0 END "
                f"WHEN {_NUMBER_SHAPE} THEN CASE WHEN {_NUMBER} {_FINITE} THEN {_NUMBER} END "
                f"END)"),
    "bigint": (f"(CASE WHEN {_JSON_NUMBER} AND json_type({{v}}) = 'integer' "
               f"THEN CASE WHEN typeof({{v}} + 0) = 'integer' THEN {{v}} + 0 END "
               f"WHEN {_NUMBER_SHAPE} THEN CASE WHEN typeof({_WHOLE}) = 'integer' "
               f"THEN {_WHOLE} WHEN {_TRIMMED} GLOB '*[eE]*' "
               f"AND {_NUMBER} >= -9223372036854775808.0 AND {_NUMBER} < 9223372036854775808.0 "
               f"AND {_NUMBER} = CAST({_NUMBER} AS INTEGER) THEN CAST({_NUMBER} AS INTEGER) "
               f"END END)"),
    "timestamp": (f"(CASE WHEN {_EPOCH} THEN strftime('%Y-%m-%d %H:%M:%f', {{v}} / 1000.0, "
                  f"'unixepoch') WHEN {_ISO_DATE} AND substr({{v}}, 12, 2) < '24' "
                  f"THEN strftime('%Y-%m-%d %H:%M:%f', {{v}}) END)"),
    "date": (f"(CASE WHEN {_EPOCH} THEN date({{v}} / 1000.0, 'unixepoch') "
             f"WHEN {_ISO_DATE} THEN substr({{v}}, 1, 10) END)"),
    "boolean": ("(CASE lower(trim({v})) WHEN 'true' THEN 1 WHEN '1' THEN 1 WHEN 'yes' THEN 1 "
                "WHEN 'false' THEN 0 WHEN '0' THEN 0 WHEN 'no' THEN 0 END)"),
    "array": ("(CASE WHEN {v} IS NULL THEN NULL WHEN {v} = '' THEN json_array() "
              "ELSE json('[' || replace(json_quote(CAST({v} AS TEXT)), ';', '\",\"') || ']') END)"),
}
