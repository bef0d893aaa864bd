"""The batch write path in plain SQL: the ORM's per-value preparation (and on PostgreSQL its
UNNEST arrays, escaped in Python) cost more than the rest of a sync put together.

PostgreSQL  new rows: COPY straight into the table; replacements: COPY into a session
            temp table, then one INSERT … SELECT … ON CONFLICT DO UPDATE.
SQLite      executemany of one INSERT (… ON CONFLICT DO UPDATE).

Both run on Django's connection, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import orjson
from django.db import connection, models, transaction
from django.db.models.expressions import RawSQL

Adapter = Callable[[object], object]


class BulkSQL:
    def __init__(self, model: type[models.Model]):
        self.model = model
        self.table = model._meta.db_table
        # Auto-numbered keys are the database's to fill in.
        self.fields = [f for f in model._meta.concrete_fields
                       if not isinstance(f, models.AutoField)]
        self.columns = [f.column for f in self.fields]
        self.pk = model._meta.pk.column

    def insert(self, rows: list[dict], *, upsert: bool) -> None:
        if not rows:
            return
        values = self._values(rows)
        if connection.vendor == "postgresql":
            self._pg_insert(values, upsert)
        else:
            self._sqlite_insert(values, upsert)

    def select_by_ids(self, ids: list[str], fields: list[str]) -> list[tuple]:
        """(pk, *fields) of the rows with these ids: one statement, values converted by the
        model's fields as the ORM would."""
        queryset = self.model.objects.values_list("pk", *fields)
        if connection.vendor != "postgresql":
            return list(queryset.filter(pk__in=ids))
        # One array parameter; `IN (%s, …)` would be 1,000 for psycopg to splice in Python.
        return list(queryset.filter(pk__in=RawSQL("SELECT unnest(%s::text[])", [ids])))

    def delete(self, ids: list[str]) -> None:
        if ids:
            self.model.objects.filter(pk__in=ids).delete()

    def archive(self, ids: list[str], archived_at: object) -> int:
        """Mark these live rows archived; returns how many were live."""
        if not ids:
            return 0
        return self.model.objects.filter(pk__in=ids, archived=False).update(
            archived=True, archived_at=archived_at)

    def _values(self, rows: list[dict]) -> list[tuple]:
        adapters = [(f.attname, _adapter(f)) for f in self.fields]
        return [tuple(adapt(row.get(name)) if adapt else row.get(name)
                      for name, adapt in adapters) for row in rows]

    def _conflict_clause(self) -> str:
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in self.columns if c != self.pk)
        return f' ON CONFLICT ("{self.pk}") DO UPDATE SET {updates}'

    def _column_list(self) -> str:
        return ", ".join(f'"{c}"' for c in self.columns)

    def _pg_insert(self, values: list[tuple], upsert: bool) -> None:
        with connection.cursor() as cursor:
            if not upsert:  # plain inserts go straight into the table
                self._copy(cursor, self.table, values)
                return
            stage = f"_stage_{self.table}"
            # Only the copied columns, no constraints: the real table checks them on INSERT.
            cursor.execute(f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" ON COMMIT DELETE ROWS '
                           f'AS SELECT {self._column_list()} FROM "{self.table}" WITH NO DATA')
            cursor.execute(f'TRUNCATE "{stage}"')  # earlier savepoints may have left rows
            self._copy(cursor, stage, values)
            cursor.execute(f'INSERT INTO "{self.table}" ({self._column_list()}) '
                           f'SELECT {self._column_list()} FROM "{stage}"'
                           + self._conflict_clause())

    def _copy(self, cursor, table: str, values: list[tuple]) -> None:
        sql = f'COPY "{table}" ({self._column_list()}) FROM STDIN'
        # The raw psycopg cursor: map its errors to Django's, as Django's own cursor does.
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row in values:
                copy.write_row(row)

    def _sqlite_insert(self, values: list[tuple], upsert: bool) -> None:
        marks = ", ".join(["%s"] * len(self.columns))
        sql = f'INSERT INTO "{self.table}" ({self._column_list()}) VALUES ({marks})'
        with connection.cursor() as cursor:
            cursor.executemany(sql + (self._conflict_clause() if upsert else ""), values)


def archive_missing(queryset: models.QuerySet, seen_ids: Iterable[str], now: object, *,
                    dry_run: bool = False) -> int:
    """Archive the live rows of `queryset` whose id is not in `seen_ids`, in the database:
    the ids go to a temp table, and one UPDATE … NOT EXISTS (an anti-join, which unlike
    NOT IN stays linear for a million ids) does the rest. A dry run only counts them (the
    session's temp table is the only thing written)."""
    table = queryset.model._meta.db_table
    pk = queryset.model._meta.pk.column
    scope_sql, scope_params = queryset.filter(archived=False).values("pk").query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute('CREATE TEMP TABLE "_seen_ids" (id varchar(255) NOT NULL)')
        if connection.vendor == "postgresql":
            with connection.wrap_database_errors, \
                    cursor.cursor.copy('COPY "_seen_ids" (id) FROM STDIN') as copy:
                for object_id in seen_ids:
                    copy.write_row((object_id,))
            cursor.execute('ANALYZE "_seen_ids"')
        else:
            cursor.executemany('INSERT INTO "_seen_ids" (id) VALUES (%s)',
                               ((object_id,) for object_id in seen_ids))
            cursor.execute('CREATE INDEX "_seen_ids_id" ON "_seen_ids" (id)')
        unseen = (f'WHERE "{pk}" IN ({scope_sql}) AND NOT EXISTS '
                  f'(SELECT 1 FROM "_seen_ids" WHERE "_seen_ids".id = "{table}"."{pk}")')
        if dry_run:
            cursor.execute(f'SELECT count(*) FROM "{table}" {unseen}', scope_params)
            archived = cursor.fetchone()[0]
        else:
            cursor.execute(
                f'UPDATE "{table}" SET "archived" = %s, "archived_at" = %s {unseen}',
                [True, queryset.model._meta.get_field("archived_at").get_db_prep_save(
                    now, connection), *scope_params])
            archived = cursor.rowcount
        cursor.execute('DROP TABLE "_seen_ids"')
    return archived


def relax_commit_durability() -> None:
    """PostgreSQL, inside a batch's own transaction only (SET LOCAL ends with it, so no other
    work on the connection inherits it): don't wait for the commit to reach the disk. A
    server crash can lose only the last commits, in order, and the run's SyncHistory row
    (the watermark) is committed durably and last, so the next run re-reads whatever was
    lost. SQLite already runs with synchronous=NORMAL in WAL mode (settings)."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _adapter(field: models.Field) -> Adapter | None:
    """How one column's Python value becomes a driver value (None: the driver knows it)."""
    if isinstance(field, models.JSONField):
        return _json
    if connection.vendor == "postgresql" or isinstance(field, models.TextField | models.CharField
                                                      | models.BooleanField
                                                      | models.IntegerField):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def _json(value: object) -> str | None:
    return None if value is None else orjson.dumps(value).decode()
