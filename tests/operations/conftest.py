"""Fixtures for tests of the project as an operator runs it: manage.py, dev.py and the celery
command in subprocesses, with an environment the test controls."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def clean_environment(**overrides: str) -> dict[str, str]:
    """os.environ without the project's settings, so the developer's shell or .env cannot
    change what a subprocess does; then `overrides`."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("HUBSPOT_", "DJANGO_")) and name != "DATABASE_URL"}
    env["HUBSPOT_MIRROR_ENV_FILE"] = ""  # empty: no .env file at all
    env.update(overrides)
    return env


def run_python(*args: str, env: dict[str, str],
               timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def current_database_url() -> str:
    """The URL of the database this test process uses, for a subprocess to open."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}")


@pytest.fixture
def hubspot(emulator, settings):
    """The emulator, with Django settings pointing at it and fast retries for tests."""
    settings.HUBSPOT_API_BASE_URL = emulator.url
    settings.HUBSPOT_ACCESS_TOKEN = emulator.token
    settings.HUBSPOT_RETRY_INITIAL_WAIT = 0.01
    settings.HUBSPOT_SEARCH_REQUESTS_PER_SECOND = None  # the emulator has no limit by default
    settings.HUBSPOT_INCREMENTAL_LOOKBACK_SECONDS = 300
    return emulator


@pytest.fixture
def demo_turn():
    """One demo test at a time across test processes (the SQLite and PostgreSQL suites may
    run side by side): every demo recreates var/demo.sqlite3."""
    (ROOT / "var").mkdir(exist_ok=True)
    with open(ROOT / "var" / "demo-tests.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
