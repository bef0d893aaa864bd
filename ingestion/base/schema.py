"""Whether the database is usable: reachable, and migrated (every command checks it first,
and so does /health/)."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def pending_migrations() -> list:
    """The migrations not yet applied to the database (connecting first): DatabaseError when
    it cannot be reached."""
    connection.ensure_connection()
    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes())
