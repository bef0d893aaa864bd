"""The layer against its documented list (docs/fivetran-layer.md): every table and column the
doc lists exists in the built layer, with its type family, on both databases; and every table
the layer declares is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from sync_commands import run_command

from ingestion.sync.hubspot.fivetran import TABLES

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

DOC = Path(__file__).resolve().parents[2] / "docs" / "fivetran-layer.md"
TABLE_HEADING = re.compile(r"^### `([a-z_0-9]+)`\s*$")
COLUMN_ROW = re.compile(r"^\| `([a-z_0-9]+)` \| ([a-z]+) \|")

# The type family → what the database reports for a view column: PostgreSQL's
# information_schema data_type; SQLite's typeof() of a non-null value.
REPORTED = {
    "bigint": ({"bigint"}, {"integer"}),
    "integer": ({"integer", "bigint"}, {"integer"}),
    "text": ({"text"}, {"text"}),
    "timestamp": ({"timestamp with time zone"}, {"text"}),
    "date": ({"date"}, {"text"}),
    "boolean": ({"boolean"}, {"integer"}),
    "numeric": ({"numeric"}, {"integer", "real"}),
    "float": ({"double precision"}, {"real", "integer"}),
}


def documented() -> dict[str, dict[str, str]]:
    tables: dict[str, dict[str, str]] = {}
    current = None
    for line in DOC.read_text().splitlines():
        if heading := TABLE_HEADING.match(line):
            current = tables.setdefault(heading.group(1), {})
        elif current is not None and (row := COLUMN_ROW.match(line)):
            current[row.group(1)] = row.group(2)
    return tables


def reported_types(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT column_name, data_type FROM information_schema.columns "
                           "WHERE table_schema = %s AND table_name = %s",
                           [settings.HUBSPOT_FIVETRAN_SCHEMA, table])
            return dict(cursor.fetchall())
        view = f'"{settings.HUBSPOT_FIVETRAN_SCHEMA}_{table}"'
        cursor.execute(f"SELECT * FROM {view} LIMIT 0")
        found = {}
        for name in (d[0] for d in cursor.description):
            cursor.execute(f'SELECT typeof("{name}") FROM {view} WHERE "{name}" IS NOT NULL '
                           f"LIMIT 1")
            row = cursor.fetchone()
            found[name] = row[0] if row else "null"
        return found


@pytest.fixture
def built(hubspot):
    run_command("sync_hubspot_all")
    run_command("build_hubspot_views", "--layout", "fivetran")
    return hubspot


def test_doc_when_read_then_lists_every_table_the_layer_declares():
    tables = documented()
    assert {table.name for table in TABLES} == set(tables)
    assert all(tables.values()), [name for name, columns in tables.items() if not columns]


def test_layer_when_built_then_every_documented_column_exists_with_its_type(built):
    vendor = 0 if connection.vendor == "postgresql" else 1
    problems = []
    for table, columns in documented().items():
        reported = reported_types(table)
        for column, family in columns.items():
            if column not in reported:
                problems.append(f"{table}.{column}: missing")
            elif reported[column] != "null" and reported[column] not in REPORTED[family][vendor]:
                problems.append(f"{table}.{column}: {reported[column]}, not {family}")
    assert not problems, problems
