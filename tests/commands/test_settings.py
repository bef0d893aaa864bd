"""The database comes from DATABASE_URL (the suite runs once on SQLite, once on PostgreSQL)."""

from django.conf import settings
from django.db import connection


def test_database_comes_from_database_url():
    import os

    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith("postgres") else "sqlite3"
    assert settings.DATABASES["default"]["ENGINE"].endswith(expected)
    assert connection.vendor in {"postgresql", "sqlite"}
