"""A real database outage for the length of a `with` block."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection


@contextmanager
def database_unreachable():
    """The default connection pointed at a database that cannot be opened, for a while
    (needs a test without a surrounding transaction: django_db(transaction=True))."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-directory/db.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1")  # nothing listens there
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
