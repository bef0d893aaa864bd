"""The union across portals (docs/operations.md#several-portals): for every mirrored table,
typed or history view and Fivetran-layer table of the portals, one relation of the same name
holding every portal's rows, with two columns first: `portal_id` (HubSpot's Hub ID, NULL when
unknown) and `portal` (the name). A relation's own `portal_id` column (the Fivetran layer's)
gives way to the first.

Columns line up across portals whose relations differ (a custom property one portal has): the
union's columns are every portal's, in the order first met, NULL where a portal lacks one; a
column whose type differs between portals is text in the union.

Members: every registered portal whose storage exists, and the implicit one when it has data
(a run in its sync_history). With no portal registered there is no union (an installation of
one portal is left as it was).

- PostgreSQL: views in schema UNION_SCHEMA (`hubspot_all`) over each portal's schema and its
  Fivetran schema, rebuilt by `rebuild_union` in one transaction under the typed views' lock.
  Views that read a relation stop it being dropped or changed: whatever rebuilds views or
  migrates tables calls `drop_union` first (typed_views, fivetran/layout, apps.py), then
  `rebuild_union`, also called after a portal is added or removed.
- SQLite: a view cannot read another file, so the union is a file of tables,
  `<main stem>.hubspot-all.sqlite3` (a `-` no portal name holds), made by `build_hubspot_views
  --union` and refreshed by the same calls once it exists: a copy, as of its last refresh.
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.db import connection, transaction

from ingestion.base.backends.base import quote_name, sql_literal
from ingestion.base.scopes import IMPLICIT, DataScope, main_database_name, scope_for

UNION_SCHEMA = "hubspot_all"
ADDED = ("portal_id", "portal")
# Tables of the app that are not HubSpot's data: secrets, the registry, offsets, the view
# catalogue (the union keeps its own columns apart), events waiting to be applied.
NOT_MIRRORED = frozenset({"hubspot_oauth_grant", "hubspot_portal", "hubspot_journal_state",
                          "hubspot_webhook_event", "hubspot_view_column"})
VIEW_NAMES = re.compile(r"hubspot_\w+_v(_[0-9]+)?")  # typed and history views
MAX_COLUMNS = 1_600  # PostgreSQL's limit for a view


@dataclass(frozen=True)
class Member:
    name: str
    portal_id: int | None
    scope: DataScope


def mirrored_tables() -> frozenset[str]:
    tables = {model._meta.db_table for model in apps.get_app_config("ingestion").get_models()}
    return frozenset(t for t in tables if t.startswith("hubspot_")) - NOT_MIRRORED


def union_columns(relations: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """One relation's columns in the union from each member's (name, type) pairs: every
    name in the order first met; a type the members disagree on becomes text."""
    types: dict[str, set[str]] = {}
    for columns in relations:
        for name, sql_type in columns:
            if name not in ADDED:
                types.setdefault(name, set()).add(sql_type)
    return [(name, kinds.pop() if len(kinds) == 1 else "text") for name, kinds in types.items()]


def _select(member: Member, source: str, own: set[str], columns, cast: bool) -> str:
    """One member's SELECT of a relation, its columns lined up with the union's (`cast`:
    each to the union's type, as PostgreSQL needs; SQLite's tables take values as they are)."""
    def typed(value: str, sql_type: str) -> str:
        return f"CAST({value} AS {sql_type})" if cast else value

    portal_id = "NULL" if member.portal_id is None else str(int(member.portal_id))
    values = [f"{typed(portal_id, 'bigint')} AS {quote_name('portal_id')}",
              f"{typed(sql_literal(member.name), 'text')} AS {quote_name('portal')}"]
    for name, sql_type in columns:
        value = quote_name(name) if name in own else "NULL"
        values.append(f"{typed(value, sql_type)} AS {quote_name(name)}")
    return f"SELECT {', '.join(values)} FROM {source}"


# -- the one entry point ----------------------------------------------------------------------

def rebuild_union(*, create_file: bool = False) -> list[str]:
    """The union made to match the portals and their relations now (module doc); returns the
    relations it holds. SQLite: refreshed once the current transaction commits, and only if
    the file exists already (or `create_file`: `build_hubspot_views --union`)."""
    if connection.vendor == "postgresql":
        return _rebuild_schema()
    built: list[str] = []
    transaction.on_commit(lambda: built.extend(_refresh_file(create_file)))
    return built


def drop_union(cursor) -> None:
    """PostgreSQL: the union's views gone (before the relations they read are dropped or
    changed); rebuild_union brings them back. SQLite's union is a file: nothing depends."""
    if connection.vendor == "postgresql":
        # The typed views' builders' lock (held to the end of the transaction; taken again by
        # the same one, it stacks): no portal's views change while the union is remade.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('hubspot_typed_views'))")
        cursor.execute(f"DROP SCHEMA IF EXISTS {quote_name(UNION_SCHEMA)} CASCADE")


# -- PostgreSQL -------------------------------------------------------------------------------

def _rebuild_schema() -> list[str]:
    with transaction.atomic(), connection.cursor() as cursor:
        drop_union(cursor)
        members = _pg_members(cursor)
        if not any(m.name != IMPLICIT for m in members):
            return []
        by_relation = _pg_relations(cursor, members)
        cursor.execute(f"CREATE SCHEMA {quote_name(UNION_SCHEMA)}")
        built = []
        for relation, sources in sorted(by_relation.items()):
            columns = union_columns([cols for _, _, cols in sources])
            if len(columns) + len(ADDED) > MAX_COLUMNS:
                continue  # wider than a view may be (docs: the typed views' parts)
            selects = [_select(m, source, {c for c, _ in cols}, columns, True)
                       for m, source, cols in sources]
            cursor.execute(f"CREATE VIEW {quote_name(UNION_SCHEMA)}.{quote_name(relation)} AS "
                           + " UNION ALL ".join(selects))
            built.append(relation)
        return built


def _implicit_schema(cursor) -> str:
    """The implicit portal's schema: the first of the session's default search path that
    holds sync_history (whatever path this connection has now)."""
    cursor.execute("SELECT reset_val FROM pg_settings WHERE name = 'search_path'")
    path = [part.strip().strip('"') for part in cursor.fetchone()[0].split(",")]
    cursor.execute("SELECT current_user")
    user = cursor.fetchone()[0]
    for schema in (user if part == "$user" else part for part in path):
        cursor.execute("SELECT to_regclass(%s)", [f"{quote_name(schema)}.sync_history"])
        if cursor.fetchone()[0] is not None:
            return schema
    return "public"


def _pg_members(cursor) -> list[Member]:
    from ingestion.sync.hubspot.accounts import implicit_portal_id

    home = quote_name(_implicit_schema(cursor))
    cursor.execute("SELECT to_regclass(%s)", [f"{home}.hubspot_portal"])
    if cursor.fetchone()[0] is None:  # migrated back past the registry: no portals
        return []
    cursor.execute(f"SELECT name, portal_id FROM {home}.hubspot_portal ORDER BY name")
    named = [Member(name, pid, scope_for(name)) for name, pid in cursor.fetchall()]
    cursor.execute("SELECT nspname FROM pg_namespace")
    schemas = {row[0] for row in cursor.fetchall()}
    members = [m for m in named if m.scope.schema in schemas]
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {home}.sync_history)")
    if cursor.fetchone()[0]:
        members.insert(0, Member(IMPLICIT, implicit_portal_id(),
                                 DataScope(schema=_implicit_schema(cursor))))
    return members


_COLUMNS_SQL = """
SELECT c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid
WHERE n.nspname = %s AND c.relkind IN ('r', 'v', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum"""


def _pg_relations(cursor, members: list[Member]) -> dict[str, list]:
    """relation → [(member, qualified source, its columns)], for the relations the union
    holds: mirrored tables and typed views in each data schema, the Fivetran layer's."""
    from .fivetran.layout import schema_of

    mirrored = mirrored_tables()
    found: dict[str, list] = {}
    for member in members:
        for schema, wanted in ((member.scope.schema, lambda r, k: (
                r in mirrored if k == "r" else bool(VIEW_NAMES.fullmatch(r)))),
                (schema_of(member.scope), lambda r, k: k == "v")):
            for relation, columns in _columns_in(cursor, schema, wanted).items():
                source = f"{quote_name(schema)}.{quote_name(relation)}"
                found.setdefault(relation, []).append((member, source, columns))
    return found


def _columns_in(cursor, schema: str, wanted) -> dict[str, list[tuple[str, str]]]:
    cursor.execute(_COLUMNS_SQL, [schema])
    relations: dict[str, list[tuple[str, str]]] = {}
    for relation, kind, column, sql_type in cursor.fetchall():
        if wanted(relation, kind):
            relations.setdefault(relation, []).append((column, sql_type))
    return relations


# -- SQLite -----------------------------------------------------------------------------------

def union_file() -> Path:
    main = Path(str(main_database_name()))
    return main.with_name(f"{main.stem}.hubspot-all.sqlite3")


def _refresh_file(create: bool) -> list[str]:
    target = union_file()
    if not (create or target.exists()):
        return []
    members = _sqlite_members()
    if not any(m.name != IMPLICIT for m in members):
        target.unlink(missing_ok=True)
        return []
    partial = target.with_name(target.name + ".building")
    partial.unlink(missing_ok=True)
    built = _materialize(partial, members)
    os.replace(partial, target)  # readers see the old union or the new one
    return built


def _sqlite_members() -> list[Member]:
    from ingestion.sync.hubspot.accounts import implicit_portal_id

    main = str(main_database_name())
    with _reader(main) as db:
        try:
            named = db.execute("SELECT name, portal_id FROM hubspot_portal ORDER BY name"
                               ).fetchall()
            has_runs = db.execute("SELECT EXISTS (SELECT 1 FROM sync_history)").fetchone()[0]
        except sqlite3.OperationalError:  # migrated back past the registry: no portals
            return []
    members = [Member(IMPLICIT, implicit_portal_id(), DataScope(sqlite_file=main))] \
        if has_runs else []
    for name, portal_id in named:
        scope = scope_for(name)
        if Path(scope.sqlite_file).exists():
            members.append(Member(name, portal_id, scope))
    return members


class _reader:
    """A read-only sqlite3 connection to a file, closed on exit."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def __enter__(self):
        return self.db

    def __exit__(self, *exc) -> None:
        self.db.close()


def _sqlite_relations(path: str) -> dict[str, list[tuple[str, str]]]:
    from .fivetran.layout import schema_of

    mirrored, prefix = mirrored_tables(), schema_of(DataScope()) + "_"
    with _reader(path) as db:
        rows = db.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')"
                          " ORDER BY name").fetchall()
        wanted = [name for name, kind in rows if (name in mirrored if kind == "table" else
                  bool(VIEW_NAMES.fullmatch(name)) or name.startswith(prefix))]
        return {name: [(r[1], r[2] or "") for r in
                       db.execute(f"PRAGMA table_info({quote_name(name)})").fetchall()]
                for name in wanted}


def _materialize(path: Path, members: list[Member]) -> list[str]:
    """The union's tables in a new file at `path`, each member's rows copied in."""
    found = {m.name: _sqlite_relations(m.scope.sqlite_file) for m in members}
    names = sorted({relation for relations in found.values() for relation in relations})
    db = sqlite3.connect(path)
    try:
        for relation in names:
            columns = union_columns([found[m.name][relation] for m in members
                                     if relation in found[m.name]])
            declared = ", ".join(f"{quote_name(c)} {t}".strip() for c, t in
                                 [("portal_id", "INTEGER"), ("portal", "TEXT"), *columns])
            db.execute(f"CREATE TABLE {quote_name(relation)} ({declared})")
        for member in members:
            db.execute("ATTACH DATABASE ? AS src", [member.scope.sqlite_file])
            for relation, own in found[member.name].items():
                columns = union_columns([found[m.name][relation] for m in members
                                         if relation in found[m.name]])
                select = _select(member, f"src.{quote_name(relation)}", {c for c, _ in own},
                                 columns, False)
                db.execute(f"INSERT INTO main.{quote_name(relation)} {select}")
            db.commit()
            db.execute("DETACH DATABASE src")
        db.commit()
    finally:
        db.close()
    return names
