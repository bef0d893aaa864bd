"""The Fivetran-compatible layer's machinery: built by the command, in its own schema on
PostgreSQL (prefixed names on SQLite), rebuilt after property syncs once built, and around
migrations; ids are bigint; property columns follow the definitions."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from sync_commands import run_command

from ingestion.sync.hubspot.engines.registry import RECORD_ENGINES
from ingestion.sync.hubspot.fivetran import build_layer, drop_layer, layer_exists
from ingestion.sync.hubspot.typed_views import build_views

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


def test_layer_when_migrated_back_and_forward_then_dropped_meanwhile_and_rebuilt():
    build_views(RECORD_ENGINES)  # the typed views too: one reads a table of migration 0018
    build_layer()
    call_command("migrate", "ingestion", "0016_email_events", verbosity=0)
    # Its tables of later migrations are gone: the layer waits (PostgreSQL would refuse it).
    assert not layer_exists()
    call_command("migrate", "ingestion", verbosity=0)
    assert layer_exists()
    assert layer_rows("contact", ["id"]) == []
    with connection.cursor() as cursor:
        views = connection.introspection.table_names(cursor, include_views=True)
    assert "hubspot_marketing_event_v" in views
