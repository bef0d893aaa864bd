"""An installation from before portals (migrated to 0024, populated) upgraded with plain
`migrate`: its rows are the implicit portal's, `hubspot_portal list` shows it as `default`,
and its next run continues incrementally from its watermark."""

from __future__ import annotations

import pytest
from contacts_runs import CONTACTS_LIST, contacts, last_run, live_ids, upstream_ids, watermark
from django.core.management import call_command
from django.db import connection

from ingestion.models import HubSpotContact, SyncHistory

from .conftest import portal_command

pytestmark = pytest.mark.django_db(transaction=True)


def test_migration_when_populated_0024_upgraded_then_rows_are_default_portals(hubspot, api):
    # populated: a run's contacts and its history row with the watermark (a run refuses a
    # database with migrations to apply, so it runs first), then back to 0024
    contacts("--full")
    stored, runs, mark = set(live_ids()), SyncHistory.objects.count(), watermark()
    assert stored and mark is not None
    call_command("migrate", "ingestion", "0024_resume", verbosity=0)
    assert "hubspot_portal" not in connection.introspection.table_names()
    assert set(live_ids()) == stored
    call_command("migrate", verbosity=0)  # the upgrade: one command
    assert "hubspot_portal" in connection.introspection.table_names()
    assert set(live_ids()) == stored and SyncHistory.objects.count() == runs
    listing = portal_command("list").splitlines()
    assert len(listing) == 2 and listing[1].split()[0] == "default"
    assert f"  {runs}  " in listing[1]
    changed = upstream_ids(api)[0]
    api.patch(f"{CONTACTS_LIST}/{changed}",
              json={"properties": {"firstname": "Upgraded"}}).raise_for_status()
    counts = contacts()
    assert last_run().mode == "incremental" and counts["fetched"] < len(stored)
    assert HubSpotContact.objects.get(pk=changed).properties["firstname"] == "Upgraded"
