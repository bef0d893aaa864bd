"""Property definitions HubSpot does not bound: a long name is stored whole and gets its
typed-view column; a name too long for a key fails alone, with its id, run after run
(quarantined, never a database "configuration error"), and the other definitions are saved."""

from __future__ import annotations

from hashlib import sha1

import pytest
from django.db import connection
from sync_commands import run_command, run_failing

from ingestion.models import (
    HubSpotProperty,
    HubSpotViewColumn,
    QuarantinedRecord,
    SyncError,
    SyncHistory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

DEAL = "30000000001"
LONG_NAME = "renewal_" + "x" * 242  # 250 characters: PostgreSQL's varchar(255) id refused it


def test_property_name_of_250_characters_when_synced_then_stored_whole_with_a_view_column(
        hubspot):
    hubspot.control.add_property("deals", {"name": LONG_NAME, "type": "number",
                                           "fieldType": "number", "label": "L" * 400})
    hubspot.control.update("deals", DEAL, {LONG_NAME: "12.5"})
    run_command("sync_hubspot_properties")
    row = HubSpotProperty.objects.get(pk=f"deals:{LONG_NAME}")
    assert (row.name, row.label, row.object_type) == (LONG_NAME, "L" * 400, "deals")
    assert SyncHistory.objects.get(object_type="properties").status == "success"
    column = HubSpotViewColumn.objects.get(view_name="hubspot_deal_v", property_name=LONG_NAME)
    # Cut to PostgreSQL's 63 bytes with the name's own digest: the same whatever else exists.
    assert column.column_name == LONG_NAME[:56] + "_" + sha1(LONG_NAME.encode()).hexdigest()[:6]
    run_command("sync_hubspot_deals", "--skip-associations")
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column.column_name}" FROM hubspot_deal_v WHERE id = %s',
                       [DEAL])
        assert float(cursor.fetchone()[0]) == 12.5


def test_property_name_too_long_for_a_key_when_synced_each_run_then_fails_alone_quarantined(
        hubspot):
    too_long = "n" * 1_001
    hubspot.control.add_property("contacts", {"name": too_long, "type": "string",
                                              "fieldType": "text"})
    for _ in range(2):
        error, run = run_failing("sync_hubspot_properties")
        assert error.returncode == 3 and run["properties"]["failed"] == 1
    [failure] = SyncError.objects.filter(history=SyncHistory.objects.latest("pk"))
    assert failure.object_id == f"contacts:{too_long}"
    assert failure.reason == ("unstorable properties id: key of 1010 bytes (at most 1000 are "
                              "stored)")
    run_command("sync_hubspot_properties")  # the third failure in a row: quarantined
    quarantined = QuarantinedRecord.objects.get(object_type="properties")
    assert quarantined.quarantined_at is not None and quarantined.streak == 3
    assert quarantined.object_id.startswith(f"contacts:{too_long[:91]}…sha1:")
    assert HubSpotProperty.objects.filter(object_type="contacts").count() > 10
    assert not HubSpotProperty.objects.filter(name=too_long).exists()
