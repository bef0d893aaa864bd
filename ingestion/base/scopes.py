"""Data scopes: which schema (PostgreSQL) or file (SQLite) Django's `default` connection
reads and writes, so that several data sets with the same table names live in one
deployment (ingestion/sync/hubspot/accounts.py gives each HubSpot portal one).

- The implicit scope (`DataScope()`) is the connection as configured: today's tables.
- PostgreSQL: a named scope is one schema, and inside it the connection's search_path is
  only that schema. Plain table names, Django's introspection and its migration recorder
  (django_migrations lives per schema) see that schema alone.
- SQLite: a named scope is one database file beside the main one,
  `<main file stem>.<name>.sqlite3` (the test database's too).

Two ways in: `use_scope` (this thread's connection only, restored after: a web view, a
test) and `set_process_scope` (every connection opened later in any thread: a command run
for one portal, whose fetch and writer threads open connections of their own). New
connections get their scope from the `connection_created` hook (`apply_on_connect`,
called by ingestion/apps.py): the thread's scope, else the process's.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connections

IMPLICIT = "default"
SCHEMA_PREFIX = "hubspot_p_"
NAME_PATTERN = re.compile(r"[a-z0-9_]{1,40}")


class ScopeNameError(ValueError):
    """A scope name that is not 1-40 of a-z, 0-9 and _ (or the implicit one's)."""


@dataclass(frozen=True)
class DataScope:
    """One data set's place: a schema, or a database file; neither: the implicit scope."""

    name: str = IMPLICIT
    schema: str | None = None
    sqlite_file: str | None = None

    @property
    def implicit(self) -> bool:
        return self.schema is None and self.sqlite_file is None

    def storage(self) -> str:
        """Where its tables are, for people (`hubspot_portal list`)."""
        if self.schema:
            return f"schema {self.schema}"
        if self.sqlite_file:
            return f"file {self.sqlite_file}"
        return "the configured database"


_thread = threading.local()  # .scope: this thread's DataScope (use_scope)
_process: dict = {"scope": DataScope(), "main_name": None}


def check_name(name: str) -> str:
    if name == IMPLICIT or not NAME_PATTERN.fullmatch(name or ""):
        raise ScopeNameError(f"{name!r} is not a valid name: 1-40 characters of a-z, 0-9 and _ "
                             f"(and not {IMPLICIT!r}, the implicit one)")
    return name


def _vendor() -> str:
    engine = connections.settings["default"]["ENGINE"]
    return "sqlite" if engine.endswith("sqlite3") else "postgresql"


def main_database_name() -> str:
    """The configured database (file) name, whatever scope the process is in."""
    return _process["main_name"] or connections.settings["default"]["NAME"]


def scope_for(name: str) -> DataScope:
    """The scope called `name` (IMPLICIT: the connection as configured)."""
    if name == IMPLICIT:
        return DataScope()
    check_name(name)
    if _vendor() == "sqlite":
        main = Path(str(main_database_name()))
        return DataScope(name, sqlite_file=str(main.with_name(f"{main.stem}.{name}.sqlite3")))
    return DataScope(name, schema=f"{SCHEMA_PREFIX}{name}")


def current_scope() -> DataScope:
    """The scope this thread's connections use."""
    return getattr(_thread, "scope", None) or _process["scope"]


def _quoted(schema: str) -> str:
    return connections["default"].ops.quote_name(schema)


def _set_search_path(connection, scope: DataScope) -> None:
    with connection.cursor() as cursor:
        if scope.schema:
            cursor.execute(f"SET search_path TO {_quoted(scope.schema)}")
        else:  # back to the session's default (the connection string's, the role's)
            cursor.execute("RESET search_path")


def apply_on_connect(connection) -> None:
    """The `connection_created` hook: a new PostgreSQL connection gets this thread's scope,
    else the process's (SQLite's file is in the settings the connection was opened with)."""
    if connection.alias == "default" and connection.vendor == "postgresql":
        scope = current_scope()
        if scope.schema:
            _set_search_path(connection, scope)


def _switch_thread_connection(scope: DataScope, sqlite_settings: dict | None) -> None:
    """This thread's default connection now in `scope` (SQLite: with `sqlite_settings`)."""
    connection = connections["default"]
    if connection.vendor == "sqlite":
        connection.close()
        connection.settings_dict = sqlite_settings
    elif connection.connection is not None:
        _set_search_path(connection, scope)
    # else: not connected yet; apply_on_connect sets it when it connects


@contextmanager
def use_scope(scope: DataScope) -> Iterator[DataScope]:
    """This thread's `default` connection in `scope` for the block, restored after (no switch
    when it is in `scope` already: a SQLite switch reopens the connection, which must not
    happen inside a transaction)."""
    if scope == current_scope():
        yield scope
        return
    previous = getattr(_thread, "scope", None)
    connection = connections["default"]
    before = connection.settings_dict
    # SQLite: the scope's file, or the main one for the implicit scope (entered from inside
    # another scope, `before` names that scope's file).
    sqlite_name = scope.sqlite_file or main_database_name()
    inside = dict(before, NAME=sqlite_name) if connection.vendor == "sqlite" else dict(before)
    _thread.scope = scope
    _switch_thread_connection(scope, inside)
    try:
        yield scope
    finally:
        _thread.scope = previous
        _switch_thread_connection(previous or _process["scope"], before)


@contextmanager
def main_scope() -> Iterator[DataScope]:
    """The configured database for the block (what every portal shares: the registry, beat's
    schedule)."""
    with use_scope(DataScope()) as scope:
        yield scope


def set_process_scope(scope: DataScope) -> None:
    """`scope` for every connection opened from now on, in any thread, and this thread's
    open one (threads running now keep theirs until they reconnect)."""
    configured = connections.settings["default"]
    if _process["main_name"] is None:
        _process["main_name"] = configured["NAME"]
    _process["scope"] = scope
    if _vendor() == "sqlite":
        configured["NAME"] = scope.sqlite_file or _process["main_name"]
    if scope.implicit:
        _process["main_name"] = None
    if getattr(_thread, "scope", None) is None:
        _switch_thread_connection(scope, configured)


def create_scope(scope: DataScope) -> None:
    """Its schema or file, empty (what is there already is kept). Call outside any scope."""
    if scope.schema:
        with connections["default"].cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {_quoted(scope.schema)}")
    elif scope.sqlite_file:
        import sqlite3

        sqlite3.connect(scope.sqlite_file).close()


def drop_scope(scope: DataScope) -> None:
    """Its schema with every table, or its file: gone. The implicit scope is never dropped."""
    if scope.schema:
        with connections["default"].cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {_quoted(scope.schema)} CASCADE")
    elif scope.sqlite_file:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(scope.sqlite_file + suffix).unlink(missing_ok=True)


def scope_exists(scope: DataScope) -> bool:
    if scope.schema:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
                           [scope.schema])
            return cursor.fetchone() is not None
    return scope.implicit or Path(scope.sqlite_file).exists()
