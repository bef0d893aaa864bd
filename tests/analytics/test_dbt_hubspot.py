"""fivetran/dbt_hubspot runs unchanged on the mirror's Fivetran-compatible layer:
`python3 dev.py dbt-hubspot` (devtools/dbt_hubspot.py) on the emulator's 40-contact portal
builds every model and passes every test, with the service part off and on, and every source
table it reads is there and holds rows.

PostgreSQL only (the layer dbt_hubspot reads is a PostgreSQL schema). Skipped, saying which,
where dbt (.venv-dbt: `python3 dev.py dbt-hubspot setup`), dbt_hubspot and its packages
(`… packages`) or the layer (`build_hubspot_views --layout fivetran`) are not there."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from django.db import connection
from subprocesses import clean_environment, run_python

from devtools import dbt_hubspot
from devtools.dbt_hubspot import (
    DBT,
    PACKAGES_DIR,
    SERVICE_TABLES,
    SOURCE_TABLES,
    hubspot_version,
    layer_available,
    missing_packages,
    source_rows,
    table_problems,
)

# What dbt_hubspot 1.7.2 builds and tests with its default variables (service part off).
MODELS_1_7_2, TESTS_1_7_2 = 121, 65


def skip_unless_ready() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("dbt_hubspot reads the layer's PostgreSQL schema: PostgreSQL only")
    if not DBT.exists():
        pytest.skip(f"dbt is not installed ({DBT}): python3 dev.py dbt-hubspot setup")
    if missing_packages():
        pytest.skip(f"dbt packages missing from {PACKAGES_DIR}: "
                    f"{', '.join(missing_packages())} (python3 dev.py dbt-hubspot packages)")
    if not layer_available():
        pytest.skip("no Fivetran layer in this tree (build_hubspot_views --layout fivetran)")


def server_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "postgres") + (f":{quote(db['PASSWORD'])}"
                                              if db.get("PASSWORD") else "")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"


@pytest.mark.timeout(1800)
def test_dbt_hubspot_when_run_on_the_layer_then_every_model_built_and_test_passed(tmp_path):
    skip_unless_ready()
    summary = tmp_path / "summary.json"
    done = run_python("-m", "devtools.dbt_hubspot", "run", "--contacts", "40",
                      "--postgres", server_url(),
                      "--database", f"{connection.settings_dict['NAME']}_dbt",
                      "--summary-file", str(summary), env=clean_environment(), timeout=1700)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    results = json.loads(summary.read_text())
    off, on = results["runs"]["service off"], results["runs"]["service on"]
    for run in (off, on):
        assert list(run["models"]) == ["success"] and list(run["tests"]) == ["pass"]
    if hubspot_version() == "1.7.2":
        assert (off["models"]["success"], off["tests"]["pass"]) == (MODELS_1_7_2, TESTS_1_7_2)
    assert on["models"]["success"] > off["models"]["success"]  # the tickets' models too
    assert sorted(results["sources"]) == sorted(SOURCE_TABLES + SERVICE_TABLES)
    assert [t for t, rows in results["sources"].items() if not rows] == []
    assert [m for m, rows in on["staging_rows"].items() if not rows] == []
    assert results["problems"] == []


@pytest.mark.django_db(transaction=True)
def test_source_check_when_a_table_is_missing_or_empty_then_each_is_a_problem(monkeypatch):
    """What the check judges (dbt_hubspot itself would build empty staging models): hand-made
    tables and a view, one of them empty, one table not there at all."""
    if connection.vendor != "postgresql":
        pytest.skip("the layer's schema is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA check_layer; CREATE TABLE check_layer.owner (id bigint);"
                       "INSERT INTO check_layer.owner VALUES (1), (2);"
                       "CREATE TABLE check_layer.role (id bigint);"
                       "CREATE VIEW check_layer.team AS SELECT id FROM check_layer.owner")
    try:
        rows = source_rows("check_layer", ("owner", "role", "team", "users"))
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA check_layer CASCADE")
    assert rows == {"owner": 2, "role": 0, "team": 2, "users": None}
    assert table_problems(rows) == ["role: empty", "users: missing"]
    monkeypatch.setitem(dbt_hubspot.MAY_BE_EMPTY, "role", "the portal has no roles")
    assert table_problems(rows) == ["users: missing"]
