"""One module per database behind one small interface (like dlt's destinations): the save
path (`bulk_sql.py`) calls `backend()` and never asks which database it is on.

    insert(table, columns, values, conflict_sql)  new rows, or upserts (conflict_sql)
    pk_in(ids)                                    a `pk__in` value for a batch of ids
    load_ids(cursor, table, ids)                  fill a temp table of ids (the sweep)
    relax_commit_durability()                     inside a batch's own transaction only
    refresh_statistics(tables)                    after a large write (planner statistics)
    adapter(field)                                a column's Python value → driver value
    on_connect(connection)                        per-connection setup
"""

from __future__ import annotations

from functools import cache

from django.db import connection

from .base import Backend


@cache
def backend_for(vendor: str) -> Backend:
    if vendor == "postgresql":
        from .postgresql import PostgreSQLBackend

        return PostgreSQLBackend()
    from .sqlite import SQLiteBackend

    return SQLiteBackend()


def backend() -> Backend:
    """The backend of Django's default connection's database (chosen once per vendor)."""
    return backend_for(connection.vendor)


__all__ = ["Backend", "backend", "backend_for"]
