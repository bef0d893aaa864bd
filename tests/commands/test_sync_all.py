"""sync_hubspot_all: every type in order with the same flags; one failing type does not stop
the others; a table of counts ends the run; the exit status says the worst outcome."""

from __future__ import annotations

import pytest
from django.apps import apps
from sync_commands import run_command, run_failing

from ingestion.models import (
    HubSpotCompany,
    HubSpotContact,
    HubSpotCustomObject,
    HubSpotDeal,
    HubSpotProperty,
    HubSpotTicket,
    SyncHistory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

ORDER = ["properties", "owners", "pipelines", "pipeline_stages", "companies", "contacts",
         "deals", "tickets", "products", "line_items", "calls", "emails", "meetings", "notes",
         "tasks", "schemas", "pets (2-3508482)"]


def table(output: str) -> dict[str, list[str]]:
    """The closing table: {type: [fetched, …, failed, status]}."""
    lines = output.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("type "))
    return {row[: row.index("  ")]: row[row.index("  "):].split() for row in lines[start + 1:]}


def synced_tables() -> dict[str, int]:
    return {m._meta.db_table: m.objects.count() for m in apps.get_app_config("ingestion")
            .get_models() if m._meta.db_table.startswith("hubspot_")
            # credentials, received webhook events and opt-in history: not mirrored data
            and m._meta.db_table not in ("hubspot_oauth_grant", "hubspot_webhook_event",
                                         "hubspot_property_history")}


def test_healthy_portal_when_sync_all_then_every_type_succeeds_in_order_and_table_ends_run(
        hubspot):
    run = run_command("sync_hubspot_all")
    rows = table(run.out)
    assert list(rows) == ORDER
    assert all(row[-1] == "success" for row in rows.values())
    assert all(run[name]["created"] > 0 for name in ORDER)
    assert all(count > 0 for count in synced_tables().values())
    assert int(rows["contacts"][1]) == HubSpotContact.objects.count()

    again = run_command("sync_hubspot_all")  # incremental where possible, nothing new
    assert all(again[name]["created"] == again[name]["updated"] == 0 for name in ORDER)


def test_dry_run_flag_when_sync_all_then_passed_to_every_type_and_nothing_written(hubspot):
    run = run_command("sync_hubspot_all", "--dry-run", "--full", "--force-overwrite")
    assert all(run[name]["created"] > 0 for name in ORDER)
    assert set(synced_tables().values()) == {0} and not SyncHistory.objects.exists()


def test_one_type_failing_fatally_when_sync_all_then_others_complete_and_exit_1(hubspot):
    # e.g. the app lacks the deals scope: every deals listing answers 403
    hubspot.control.set_faults(rate=1.0, kinds=["403"],
                               match={"path_prefix": "/crm/v3/objects/deals"})
    error, run = run_failing("sync_hubspot_all")
    assert error.returncode == 1 and "deals" in str(error)
    rows = table(run.out)
    assert list(rows) == ORDER
    assert rows["deals"] == ["-"] * 7 + ["failed"]
    assert all(row[-1] == "success" for name, row in rows.items() if name != "deals")
    assert "deals: FAILED" in run.err
    assert not HubSpotDeal.objects.exists()
    assert HubSpotCompany.objects.exists() and HubSpotTicket.objects.exists()
    runs = dict(SyncHistory.objects.values_list("object_type", "status"))
    assert runs.pop("deals") == "failed"
    assert set(runs.values()) == {"success"} and "2-3508482" in runs and "tasks" in runs


def test_only_some_records_failing_when_sync_all_then_every_type_runs_and_exit_3(hubspot):
    hubspot.control.set_faults(rate=1.0, kinds=["400"],
                               match={"path_prefix": "/crm/v4/associations/tickets/"})
    error, run = run_failing("sync_hubspot_all")
    assert error.returncode == 3
    assert table(run.out)["tickets"][-1] == "partial"
    runs = dict(SyncHistory.objects.values_list("object_type", "status"))
    assert runs.pop("tickets") == "partial"
    assert set(runs.values()) == {"success"} and len(runs) == len(ORDER) - 1


def test_app_without_schema_access_when_sync_all_then_custom_objects_skipped_and_exit_0(
        hubspot, caplog):
    hubspot.control.set_faults(rate=1.0, kinds=["403"], match={"path_prefix": "/crm/v3/schemas"})
    run = run_command("sync_hubspot_all")
    assert list(table(run.out)) == ORDER[:-2]
    assert "custom objects skipped" in caplog.text
    assert HubSpotContact.objects.exists() and not HubSpotCustomObject.objects.exists()
    assert not HubSpotProperty.objects.filter(object_type="2-3508482").exists()
