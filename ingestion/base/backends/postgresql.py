"""PostgreSQL: COPY for new rows, a staging table + one INSERT … ON CONFLICT for
replacements, one array parameter for a batch lookup, `SET LOCAL` durability."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models.expressions import RawSQL

from .base import Backend, column_list


class PostgreSQLBackend(Backend):
    vendor = "postgresql"

    def insert(self, table: str, columns: list[str], values: list[tuple],
               conflict_sql: str | None) -> None:
        with connection.cursor() as cursor:
            if conflict_sql is None:  # plain inserts go straight into the table
                self._copy(cursor, table, columns, values)
                return
            stage = f"_stage_{table}"
            # Only the copied columns, no constraints: the real table checks them on INSERT.
            cursor.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" ON COMMIT DELETE ROWS '
                           f'AS SELECT {column_list(columns)} FROM "{table}" WITH NO DATA')
            cursor.execute(f'TRUNCATE "{stage}"')  # earlier savepoints may have left rows
            self._copy(cursor, stage, columns, values)
            cursor.execute(f'INSERT INTO "{table}" ({column_list(columns)}) '
                           f'SELECT {column_list(columns)} FROM "{stage}"' + conflict_sql)

    def pk_in(self, ids: list[str]) -> object:
        # One array parameter; `IN (%s, …)` would be 1,000 for psycopg to splice in Python.
        return RawSQL("SELECT unnest(%s::text[])", [ids])

    def load_ids(self, cursor, table: str, ids: Iterable[str]) -> None:
        self._copy(cursor, table, ["id"], ((object_id,) for object_id in ids))
        cursor.execute(f'ANALYZE "{table}"')

    def refresh_statistics(self, tables: list[str]) -> None:
        """ANALYZE: without statistics (a first load, before autovacuum gets to it, or with
        autovacuum off) the planner reads a 1,000-id lookup of the association table as a
        scan of every link of the type — 100x slower per batch at a million contacts."""
        if not tables:
            return
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {column_list(tables)}")  # quoted names, one statement

    def relax_commit_durability(self) -> None:
        """Inside a batch's own transaction only (SET LOCAL ends with it, so no other work on
        the connection inherits it): don't wait for the commit to reach the disk. A server
        crash can lose only the last commits, in order, and the run's SyncHistory row (the
        watermark) is committed durably and last, so the next run re-reads what was lost."""
        if connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")

    @staticmethod
    def _copy(cursor, table: str, columns: list[str], values: Iterable[tuple]) -> None:
        sql = f'COPY "{table}" ({column_list(columns)}) FROM STDIN'
        # The raw psycopg cursor: map its errors to Django's, as Django's own cursor does.
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row in values:
                copy.write_row(row)
