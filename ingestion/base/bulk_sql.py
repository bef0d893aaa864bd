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
from .chunks import IDS_PER_STATEMENT, chunked


class BulkSQL:
    def __init__(self, model: type[models.Model]):
        self.model = model
        self.table = model._meta.db_table
        # Auto-numbered keys are the database's to fill in.
        self.fields = [f for f in model._meta.concrete_fields
                       if not isinstance(f, models.AutoField)]
        self.columns = [f.column for f in self.fields]
        self.pk = model._meta.pk.column

    def insert(self, rows: list[dict], *, upsert: bool, same: dict | None = None) -> None:
        """Write `rows`; `same` holds values every row gets (not copied into each row)."""
        if rows:
            backend().insert(self.table, self.columns, self._values(rows, same or {}),
                             self._conflict_clause() if upsert else None)

    def select_by_ids(self, ids: list[str], fields: list[str]) -> list[tuple]:
        """(pk, *fields) of the rows with these ids: one statement, values converted by the
        model's fields as the ORM would."""
        queryset = self.model.objects.values_list("pk", *fields)
        return list(queryset.filter(pk__in=backend().pk_in(ids)))

    def delete(self, ids: list[str]) -> None:
        if ids:
            self.model.objects.filter(pk__in=ids).delete()


    def _values(self, rows: list[dict], same: dict) -> list[list]:
        # The hot loop of every write (27 columns x 1,000 rows a batch): read the row with
        # one C-level map, then touch only the columns that need it.
        names = [f.attname for f in self.fields]
        fixed = [(i, same[name]) for i, name in enumerate(names) if name in same]
        adapted = [(i, adapt) for i, f in enumerate(self.fields)
                   if (adapt := backend().adapter(f))]
        values = []
        for row in rows:
            value = list(map(row.get, names))
            for i, constant in fixed:
                value[i] = constant
            for i, adapt in adapted:
                value[i] = adapt(value[i])
            values.append(value)
        return values

    def _conflict_clause(self) -> str:
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in self.columns if c != self.pk)
        return f' ON CONFLICT ("{self.pk}") DO UPDATE SET {updates}'


def unseen_ids(queryset: models.QuerySet, seen_ids: Iterable[str]) -> list[str]:
    """The live rows of `queryset` whose id is not in `seen_ids`, found in the database: the
    ids go to a temp table, and one SELECT … NOT EXISTS (an anti-join, which unlike NOT IN
    stays linear for a million ids) does the rest. Only the session's temp table is written."""
    table = queryset.model._meta.db_table
    pk = queryset.model._meta.pk.column
    scope_sql, scope_params = queryset.filter(archived=False).values("pk").query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # text: ids of any length (a definition's id is HubSpot's name for it).
        cursor.execute('CREATE TEMP TABLE "_seen_ids" (id text NOT NULL)')
        backend().load_ids(cursor, "_seen_ids", seen_ids)
        cursor.execute(
            f'SELECT "{pk}" FROM "{table}" WHERE "{pk}" IN ({scope_sql}) AND NOT EXISTS '
            f'(SELECT 1 FROM "_seen_ids" WHERE "_seen_ids".id = "{table}"."{pk}")',
            scope_params)
        unseen = [row[0] for row in cursor.fetchall()]
        cursor.execute('DROP TABLE "_seen_ids"')
    return unseen


def live_ids(queryset: models.QuerySet, ids: Iterable[str]) -> list[str]:
    """Those of `ids` that are live rows of `queryset` (chunked: any number of ids)."""
    ids = list(ids)
    found: list[str] = []
    for chunk in chunked(ids, IDS_PER_STATEMENT):
        found += queryset.filter(pk__in=chunk, archived=False).values_list("pk", flat=True)
    return found


def mark_deleted(model: type[models.Model], ids: Iterable[str], kind: str, at: object, *,
                 merged_into: str | None = None, purge: bool = False) -> int:
    """Archive these rows where they are live, saying why (`deleted_kind`: archived, merged,
    vanished …) and, for a merge, into which record; with `purge`, also drop their personal
    data (see `purge_rows`). Returns how many were live."""
    ids = list(ids)
    changed = 0
    # Definition tables (owners, lists, forms …) keep no deletion facts and no personal
    # properties: their archived flag and time say it all.
    records = any(f.name == "deleted_kind" for f in model._meta.fields)
    facts = {"deleted_kind": kind, "merged_into": merged_into} if records else {}
    for chunk in chunked(ids, IDS_PER_STATEMENT):
        changed += model.objects.filter(pk__in=chunk, archived=False).update(
            archived=True, archived_at=at, **facts)
        if purge and records:
            purge_rows(model, chunk, at)
    return changed


def purge_rows(model: type[models.Model], ids: Iterable[str], at: object,
               kind: str | None = None) -> int:
    """Keep only the id and the deletion facts of these rows: every property and every
    nullable typed column goes (what HubSpot's privacy deletion asks of a copy)."""
    blank = {f.attname: None for f in model._meta.concrete_fields
             if f.null and f.attname not in KEPT_ON_PURGE}
    values = {**blank, "properties": {}, "purged_at": at, "archived": True}
    if kind:
        values["deleted_kind"] = kind
    ids = list(ids)
    purged = 0
    for chunk in chunked(ids, IDS_PER_STATEMENT):
        purged += model.objects.filter(pk__in=chunk).update(**values)
    return purged


# The deletion facts a purge keeps (and `archived_at`, set by whoever archives the row).
KEPT_ON_PURGE = {"archived_at", "deleted_kind", "merged_into", "purged_at", "created_at",
                 "updated_at", "synced_at"}


def relax_commit_durability() -> None:
    """Inside a batch's transaction: what the database allows (backends/postgresql.py)."""
    backend().relax_commit_durability()


__all__ = ["BulkSQL", "column_list", "live_ids", "mark_deleted", "purge_rows",
           "relax_commit_durability", "unseen_ids"]
