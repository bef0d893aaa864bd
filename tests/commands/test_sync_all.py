"""sync_hubspot_all: every type in order with the same flags; one failing type does not stop
the others; a table of counts ends the run; the exit status says the worst outcome."""

from __future__ import annotations

import pytest
from django.apps import apps
from sync_commands import run_command, run_failing

from ingestion.models import (
    HubSpotAssociation,
    HubSpotCompany,
    HubSpotContact,
    HubSpotCustomObject,
    HubSpotDeal,
    HubSpotInvoice,
    HubSpotProperty,
    HubSpotQuote,
    HubSpotTicket,
    SyncHistory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

# The other standard objects (quotes … projects), after the engagements.
STANDARD = ["quotes", "communications", "feedback_submissions", "invoices", "subscriptions",
            "goal_targets", "discounts", "fees", "taxes", "commerce_payments", "users",
            "postal_mail", "orders", "leads", "carts", "services", "courses", "listings",
            "appointments", "projects"]
ORDER = ["properties", "owners", "pipelines", "pipeline_stages", "companies", "contacts",
         "deals", "tickets", "products", "line_items", "calls", "emails", "meetings", "notes",
         "tasks", *STANDARD, "lists", "forms", "schemas", "pets (2-3508482)"]


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
    # e.g. HubSpot refuses every deals listing (400: not a scope, the request itself)
    hubspot.control.set_faults(rate=1.0, kinds=["400"],
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


def test_app_without_a_types_scope_when_sync_all_then_skipped_with_warning_and_exit_0(
        hubspot, caplog):
    hubspot.control.deny_scopes(["crm.objects.invoices.read", "crm.objects.invoices.write"])
    run = run_command("sync_hubspot_all")  # no CommandError: exit 0
    rows = table(run.out)
    assert list(rows) == ORDER
    line = next(row for row in run.out.splitlines() if row.startswith("invoices "))
    assert line.split()[1:8] == ["-"] * 7 and line.endswith("skipped (no access)")
    assert all(row[-1] == "success" for name, row in rows.items() if name != "invoices")
    assert "invoices: skipped (no access)" in run.err and "403" in run.err
    assert "properties of invoices skipped" in caplog.text
    assert not HubSpotInvoice.objects.exists() and HubSpotQuote.objects.exists()
    # no failed run is left behind for the type (the health check would count it for ever)
    assert not SyncHistory.objects.filter(object_type="invoices").exists()
    assert not HubSpotProperty.objects.filter(object_type="invoices").exists()
    assert HubSpotProperty.objects.filter(object_type="quotes").exists()
    # links towards the type are not readable either: payments keep their other links
    assert SyncHistory.objects.get(object_type="commerce_payments").status == "success"
    links = HubSpotAssociation.objects.filter(from_object_type="commerce_payments")
    assert links.filter(to_object_type="contacts").exists()
    assert not links.filter(to_object_type="invoices").exists()
    assert "commerce_payments: links to invoices not read: no access" in caplog.text


def test_scope_removed_after_a_sync_when_sync_all_then_stored_rows_and_definitions_kept(
        hubspot):
    run_command("sync_hubspot_all")
    invoices, definitions = HubSpotInvoice.objects.count(), HubSpotProperty.objects.filter(
        object_type="invoices", archived=False).count()
    hubspot.control.deny_scopes(["crm.objects.invoices.read"])
    run = run_command("sync_hubspot_all", "--full")
    assert table(run.out)["invoices"][-3:] == ["skipped", "(no", "access)"]
    assert HubSpotInvoice.objects.filter(archived=False).count() == invoices
    assert HubSpotProperty.objects.filter(object_type="invoices",
                                          archived=False).count() == definitions


@pytest.mark.parametrize("flag", ["--links-only", "--deletions"])
def test_upkeep_jobs_when_a_type_has_no_access_then_skipped_and_exit_0(hubspot, flag):
    hubspot.control.deny_scopes(["crm.objects.leads.read"])
    run = run_command("sync_hubspot_all", flag)
    line = next(row for row in run.out.splitlines() if row.startswith("leads "))
    assert line.endswith("skipped (no access)")
    assert not SyncHistory.objects.filter(object_type="leads").exists()
    assert SyncHistory.objects.filter(object_type="quotes").exists()


def test_single_type_command_when_no_access_then_clear_error_exit_77_failed_run_recorded(
        hubspot):
    hubspot.control.deny_scopes(["crm.objects.invoices.read"])
    error, run = run_failing("sync_hubspot_invoices", "--full")
    assert error.returncode == 77
    assert "no access to invoices" in str(error) and "403" in str(error)
    assert "MISSING_SCOPES" in str(error) and "Traceback" not in run.err
    assert not HubSpotInvoice.objects.exists()
    # asked for by name, the type's failure is recorded like any other (cron sees it)
    failed = SyncHistory.objects.get(object_type="invoices")
    assert failed.status == "failed" and "403" in failed.error_message
    # fanned out by `sync_hubspot_all --on-workers`: checked first, skipped, nothing recorded
    error, _ = run_failing("sync_hubspot_invoices", "--full", "--check-access-first")
    assert error.returncode == 77 and SyncHistory.objects.count() == 1


def test_verify_when_a_type_has_no_access_then_skipped_others_checked_exit_0(hubspot):
    run_command("sync_hubspot_all")
    hubspot.control.deny_scopes(["crm.objects.orders.read"])
    run = run_command("verify_hubspot")
    line = next(row for row in run.out.splitlines() if row.startswith("orders "))
    assert line.endswith("skipped (no access)")
    assert "orders: skipped (no access)" in run.err
    assert SyncHistory.objects.filter(object_type="quotes", mode="verify").exists()
    assert not SyncHistory.objects.filter(object_type="orders", mode="verify").exists()


def test_fanned_out_command_when_exit_77_then_row_skipped_no_access_and_no_failure():
    from ingestion.management.commands.sync_hubspot_all import Command, _outcomes
    from ingestion.management.multi_sync import format_table

    rows = _outcomes("sync_hubspot_invoices", 77, ["no access to invoices"], "no access")
    assert [(o.name, o.status) for o in rows] == [("invoices", "no access")]
    assert format_table(rows).splitlines()[-1].endswith("skipped (no access)")
    Command().exit_for(rows)  # raises nothing: a skipped type fails nothing


def test_fanned_out_commands_when_sent_then_asked_to_check_access_first():
    from ingestion.management.fan_out import FORWARDED, flags_for

    opts = {**dict.fromkeys(FORWARDED), "full": True}
    assert flags_for("sync_hubspot_invoices", opts) == {"full": True,
                                                        "check_access_first": True}
