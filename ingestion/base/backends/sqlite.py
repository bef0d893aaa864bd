"""SQLite: executemany of one INSERT (… ON CONFLICT DO UPDATE); values Django would adapt
are adapted here; the real bound-parameter limit asked of each connection. SQLite already
runs with synchronous=NORMAL in WAL mode and BEGIN IMMEDIATE (config/settings.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from django.db import connection, models

from .base import Adapter, Backend, column_list

PARAMETER_LIMIT_CAP = 32_766


class SQLiteBackend(Backend):
    vendor = "sqlite"

    def insert(self, table: str, columns: list[str], values: list[tuple],
               conflict_sql: str | None) -> None:
        marks = ", ".join(["%s"] * len(columns))
        sql = f'INSERT INTO "{table}" ({column_list(columns)}) VALUES ({marks})'
        with connection.cursor() as cursor:
            cursor.executemany(sql + (conflict_sql or ""), values)

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
