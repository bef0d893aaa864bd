"""`python3 dev.py demo` writes only its own SQLite file, var/demo.sqlite3, and talks only to its
own emulator, whatever DATABASE_URL, HUBSPOT_* or a .env file say."""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import subprocess

import pytest
from subprocesses import ROOT, clean_environment, run_python

from devtools.demo import DEMO_DB, DEMO_LOCK

# var/demo.sqlite3 is the project's own file: one test at a time (demo_turn), all on one
# test process, beside the group of tests that share Redis ("outside-state"), not after it.
pytestmark = [pytest.mark.xdist_group("demo"),
              pytest.mark.once]  # its own database file, whichever the suite's is

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test"
# What a user's configuration could hold: a real account, a slow pace, a broken value.
USER_HUBSPOT_SETTINGS = {
    "HUBSPOT_API_BASE_URL": "http://127.0.0.1:9",  # nothing listens: a request there fails
    "HUBSPOT_ACCESS_TOKEN": "pat-na1-real-account",
    "HUBSPOT_REQUESTS_PER_10S": "1",
    "HUBSPOT_TIMEOUT": "abc",
}


@pytest.fixture
def demo_turn():
    """One demo test at a time across test processes (the SQLite and PostgreSQL suites may
    run side by side): every demo recreates var/demo.sqlite3."""
    (ROOT / "var").mkdir(exist_ok=True)
    with open(ROOT / "var" / "demo-tests.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def run_demo(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_python("dev.py", "demo", "--contacts", "50", env=env, timeout=300)


def user_configuration(tmp_path, where: str, database_url: str) -> dict[str, str]:
    """The environment of a user whose DATABASE_URL and HUBSPOT_* settings are in `where`:
    the process environment or a .env file."""
    settings = {"DATABASE_URL": database_url, **USER_HUBSPOT_SETTINGS}
    if where == "environment":
        return clean_environment(DJANGO_SETTINGS_MODULE="elsewhere.settings", **settings)
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in settings.items()))
    return clean_environment(HUBSPOT_MIRROR_ENV_FILE=str(env_file))


def demo_contacts() -> int:
    with sqlite3.connect(DEMO_DB) as db:
        return db.execute("SELECT count(*) FROM hubspot_contact").fetchone()[0]


def assert_demo_reported_its_database(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"demo database: {DEMO_DB}" in result.stdout
    assert f"done: the mirror is in {DEMO_DB}" in result.stdout
    verified = result.stdout.split("is the mirror exact?")[1].split("== done")[0]
    rows = [line.split() for line in verified.splitlines()[2:] if line.strip()]
    assert rows and all(row[-1] == "exact" for row in rows)  # verify_hubspot: every type
    assert "Look at the data:" in result.stdout and "sqlite3 " in result.stdout
    assert_demo_said_how_to_open_status(result.stdout)


def assert_demo_said_how_to_open_status(out: str) -> None:
    opening = out.split("Open the status page")[1]
    env = "DATABASE_URL=sqlite:///var/demo.sqlite3 DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost"
    assert f"{env} " in opening
    assert "manage.py createsuperuser" in opening and "manage.py runserver" in opening
    assert "http://127.0.0.1:8000/status/" in opening


@pytest.mark.parametrize("where", ["environment", "env_file"])
def test_database_url_set_by_user_when_demo_runs_then_only_demo_sqlite_written(
        tmp_path, demo_turn, where):
    sentinel = tmp_path / "production.sqlite3"
    result = run_demo(user_configuration(tmp_path, where, f"sqlite:///{sentinel}"))
    assert_demo_reported_its_database(result)
    assert not sentinel.exists()
    assert demo_contacts() == 50


@pytest.fixture
def guard_database():
    """A PostgreSQL database of this test's own, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    admin_url = os.environ.get("TEST_POSTGRES_URL", POSTGRES_URL)
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL is not reachable")
    name = f"demo_guard_{os.getpid()}"
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def user_tables(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url) as db:
        return [row[0] for row in db.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")]


def test_database_url_is_postgres_when_demo_runs_then_postgres_stays_empty(
        tmp_path, demo_turn, guard_database):
    env = user_configuration(tmp_path, "env_file", guard_database)
    env.update(DATABASE_URL=guard_database)  # in the environment as well as in .env
    result = run_demo(env)
    assert_demo_reported_its_database(result)
    assert user_tables(guard_database) == []  # not migrated, so no hubspot_contact rows
    assert demo_contacts() == 50


def test_demo_running_when_another_demo_starts_then_refused_before_touching_its_file(
        demo_turn):
    before = DEMO_DB.stat().st_mtime_ns if DEMO_DB.exists() else None
    with open(DEMO_LOCK, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run_python("-m", "devtools.demo", "--contacts", "5", env=clean_environment())
    assert result.returncode == 1
    assert result.stderr.strip() == (f"Another demo is running (it holds {DEMO_LOCK}); "
                                     "wait for it to end.")
    assert (DEMO_DB.stat().st_mtime_ns if DEMO_DB.exists() else None) == before


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="not a git checkout")
def test_checkout_when_git_asked_then_env_file_and_var_are_ignored():
    paths = [".env", "var/demo.sqlite3", "var/db.sqlite3"]
    result = subprocess.run(["git", "check-ignore", *paths], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.stdout.split() == paths
