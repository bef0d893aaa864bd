"""The Fivetran-compatible layer's machinery: built by the command, in its own schema on
PostgreSQL (prefixed names on SQLite), rebuilt after property syncs once built, and around
migrations; ids are bigint; property columns follow the definitions."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from sync_commands import run_command

from ingestion.sync.hubspot.fivetran import drop_layer, layer_exists

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]


def layer_rows(table: str, columns: list[str], where: str = "") -> list[tuple]:
    names = ", ".join(f'"{c}"' for c in columns)
    if connection.vendor == "postgresql":
        view = f'"{settings.HUBSPOT_FIVETRAN_SCHEMA}"."{table}"'
    else:
        view = f'"{settings.HUBSPOT_FIVETRAN_SCHEMA}_{table}"'
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {names} FROM {view} {where}")
        return cursor.fetchall()


@pytest.fixture
def synced(hubspot):
    run_command("sync_hubspot_properties")
    run_command("sync_hubspot_contacts", "--skip-associations")
    run_command("sync_hubspot_owners")
    return hubspot


def test_layout_fivetran_when_built_then_contacts_have_bigint_ids_and_property_columns(synced):
    out = run_command("build_hubspot_views", "--layout", "fivetran")
    assert "views built" in out.out
    rows = layer_rows("contact", ["id", "property_email", "_fivetran_deleted"], "ORDER BY id")
    assert rows and all(isinstance(row[0], int) for row in rows)
    assert any(row[1] for row in rows)
    assert layer_exists()
    drop_layer()
    assert not layer_exists()
