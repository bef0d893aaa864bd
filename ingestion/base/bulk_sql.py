"""The batch write path in plain SQL: the ORM's per-value preparation (and on PostgreSQL its
UNNEST arrays, escaped in Python) cost more than the rest of a sync put together.

What differs per database lives in one module each (`backends/postgresql.py`: COPY, staging
tables, SET LOCAL; `backends/sqlite.py`: executemany upserts); this module does not ask which
database it is on. Everything runs on Django's connection, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, models, transaction

from .backends import backend
from .backends.base import column_list


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
        if rows:
            backend().insert(self.table, self.columns, self._values(rows),
                             self._conflict_clause() if upsert else None)

    def select_by_ids(self, ids: list[str], fields: list[str]) -> list[tuple]:
        """(pk, *fields) of the rows with these ids: one statement, values converted by the
        model's fields as the ORM would."""
        queryset = self.model.objects.values_list("pk", *fields)
        return list(queryset.filter(pk__in=backend().pk_in(ids)))

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
        adapters = [(f.attname, backend().adapter(f)) for f in self.fields]
        return [tuple(adapt(row.get(name)) if adapt else row.get(name)
                      for name, adapt in adapters) for row in rows]

    def _conflict_clause(self) -> str:
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in self.columns if c != self.pk)
        return f' ON CONFLICT ("{self.pk}") DO UPDATE SET {updates}'


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
        backend().load_ids(cursor, "_seen_ids", seen_ids)
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
    """Inside a batch's transaction: what the database allows (backends/postgresql.py)."""
    backend().relax_commit_durability()


__all__ = ["BulkSQL", "archive_missing", "column_list", "relax_commit_durability"]
