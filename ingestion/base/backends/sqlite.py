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

from .base import Adapter, Backend, column_list, sql_literal

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
# Numbers: only what JSON calls a number (and finite). Dates: ISO 8601 that SQLite reads
# back unchanged (2024-02-30 comes back as 2024-03-01 from a day number), or epoch
# milliseconds. Datetimes come out as UTC 'YYYY-MM-DD HH:MM:SS.SSS', booleans as 1/0,
# multi-checkboxes as JSON arrays.
_ISO_DATE = ("{v} GLOB '[1-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]*' "
             "AND date(julianday(substr({v}, 1, 10))) = substr({v}, 1, 10)")
_EPOCH = "{v} <> '' AND {v} NOT GLOB '*[^0-9]*' AND length({v}) <= 13"
_SAFE_CASTS = {
    "text": "{v}",
    "numeric": ("(CASE WHEN json_valid({v}) THEN CASE WHEN json_type({v}) IN ('integer', 'real') "
                "AND abs({v} + 0) <= 1.7976931348623157e308 THEN {v} + 0 END END)"),  # not inf
    "timestamp": (f"(CASE WHEN {_EPOCH} THEN strftime('%Y-%m-%d %H:%M:%f', {{v}} / 1000.0, "
                  f"'unixepoch') WHEN {_ISO_DATE} THEN strftime('%Y-%m-%d %H:%M:%f', {{v}}) END)"),
    "date": (f"(CASE WHEN {_EPOCH} THEN date({{v}} / 1000.0, 'unixepoch') "
             f"WHEN {_ISO_DATE} THEN substr({{v}}, 1, 10) END)"),
    "boolean": ("(CASE lower(trim({v})) WHEN 'true' THEN 1 WHEN '1' THEN 1 WHEN 'yes' THEN 1 "
                "WHEN 'false' THEN 0 WHEN '0' THEN 0 WHEN 'no' THEN 0 END)"),
    "array": ("(CASE WHEN {v} IS NULL THEN NULL WHEN {v} = '' THEN json_array() "
              "ELSE json('[' || replace(json_quote(CAST({v} AS TEXT)), ';', '\",\"') || ']') END)"),
}
