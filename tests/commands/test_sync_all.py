"""sync_hubspot_all: every type in order with the same flags; one failing type does not stop
the others; a table of counts ends the run; the exit status says the worst outcome."""

from __future__ import annotations

import pytest
from django.apps import apps
from sync_all_types import CUSTOM, keep_only
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
from ingestion.sync.hubspot.engines.registry import SOURCE_ENGINES

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

# The other standard objects (quotes … projects), after the engagements.
STANDARD = ["quotes", "communications", "feedback_submissions", "invoices", "subscriptions",
            "goal_targets", "discounts", "fees", "taxes", "commerce_payments", "users",
            "postal_mail", "orders", "leads", "carts", "services", "courses", "listings",
            "appointments", "projects"]
# The marketing sources (engines/registry.py's order).
SOURCES = [engine.object_type for engine in SOURCE_ENGINES]
DEFINITIONS = ["properties", "owners", "pipelines", "pipeline_stages"]
CUSTOM_ROWS = ["schemas", "pets (2-3508482)"]
ORDER = [*DEFINITIONS, "companies", "contacts", "deals", "tickets", "products", "line_items",
         "calls", "emails", "meetings", "notes", "tasks", *STANDARD, "lists", "forms", *SOURCES,
         *CUSTOM_ROWS]


def only(monkeypatch, *names: str) -> list[str]:
    """sync_hubspot_all runs the definitions and `names` only (tests of how it runs types,
    not of which: the healthy portal's test runs every type); the rows of its table."""
    keep_only(monkeypatch, *names)
    custom = CUSTOM_ROWS if CUSTOM in names else []
    return [name for name in ORDER if name in (*DEFINITIONS, *names, *custom)]


def table(output: str) -> dict[str, list[str]]:
    """The closing table: {type: [fetched, …, failed, status]}."""
    lines = output.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("type "))
    return {row[: row.index("  ")]: row[row.index("  "):].split() for row in lines[start + 1:]}


def synced_tables() -> dict[str, int]:
    return {m._meta.db_table: m.objects.count() for m in apps.get_app_config("ingestion")
            .get_models() if m._meta.db_table.startswith("hubspot_")
            # credentials, received webhook events, the journal's read position, opt-in
            # history and the registry of portals: not mirrored data
            and m._meta.db_table not in ("hubspot_oauth_grant", "hubspot_webhook_event",
                                         "hubspot_journal_state", "hubspot_property_history",
                                         "hubspot_portal")}


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
    # Statuses are read for the stored contacts' emails, participations for the stored
    # marketing events, messages for the stored threads, deal splits for the stored deals: a
    # dry run stored none.
    read_for_stored = ("subscription_statuses", "marketing_event_participations",
                       "conversation_messages", "deal_splits")
    assert all(run[name]["created"] > 0 for name in ORDER if name not in read_for_stored)
    assert all(run[name]["fetched"] == 0 for name in read_for_stored)
    assert set(synced_tables().values()) == {0} and not SyncHistory.objects.exists()


def test_one_type_failing_fatally_when_sync_all_then_others_complete_and_exit_1(
        hubspot, monkeypatch):
    order = only(monkeypatch, "companies", "deals", "tickets", "tasks", CUSTOM)
    # e.g. HubSpot refuses every deals listing (400: not a scope, the request itself)
    hubspot.control.set_faults(rate=1.0, kinds=["400"],
                               match={"path_prefix": "/crm/v3/objects/deals"})
    error, run = run_failing("sync_hubspot_all")
    assert error.returncode == 1 and "deals" in str(error)
    rows = table(run.out)
    assert list(rows) == order
    assert rows["deals"] == ["-"] * 7 + ["failed"]
    assert all(row[-1] == "success" for name, row in rows.items() if name != "deals")
    assert "deals: FAILED" in run.err
    assert not HubSpotDeal.objects.exists()
    assert HubSpotCompany.objects.exists() and HubSpotTicket.objects.exists()
    runs = dict(SyncHistory.objects.values_list("object_type", "status"))
    assert runs.pop("deals") == "failed"
    assert set(runs.values()) == {"success"} and "2-3508482" in runs and "tasks" in runs


def test_only_some_records_failing_when_sync_all_then_every_type_runs_and_exit_3(
        hubspot, monkeypatch):
    order = only(monkeypatch, "contacts", "tickets", "tasks")
    hubspot.control.set_faults(rate=1.0, kinds=["400"],
                               match={"path_prefix": "/crm/v4/associations/tickets/"})
    error, run = run_failing("sync_hubspot_all")
    assert error.returncode == 3
    assert table(run.out)["tickets"][-1] == "partial"
    runs = dict(SyncHistory.objects.values_list("object_type", "status"))
    assert runs.pop("tickets") == "partial"
    assert set(runs.values()) == {"success"} and len(runs) == len(order) - 1


def test_app_without_schema_access_when_sync_all_then_custom_objects_skipped_and_exit_0(
        hubspot, monkeypatch, caplog):
    order = only(monkeypatch, "contacts", CUSTOM)
    hubspot.control.set_faults(rate=1.0, kinds=["403"], match={"path_prefix": "/crm/v3/schemas"})
    run = run_command("sync_hubspot_all")
    assert list(table(run.out)) == order[:-2]
    assert "custom objects skipped" in caplog.text
    assert HubSpotContact.objects.exists() and not HubSpotCustomObject.objects.exists()
    assert not HubSpotProperty.objects.filter(object_type="2-3508482").exists()


def test_app_without_a_types_scope_when_sync_all_then_skipped_with_warning_and_exit_0(
        hubspot, monkeypatch, caplog):
    order = only(monkeypatch, "contacts", "quotes", "invoices", "commerce_payments")
    hubspot.control.deny_scopes(["crm.objects.invoices.read", "crm.objects.invoices.write"])
    run = run_command("sync_hubspot_all")  # no CommandError: exit 0
    rows = table(run.out)
    assert list(rows) == order
    line = next(row for row in run.out.splitlines() if row.startswith("invoices "))
    assert line.split()[1:8] == ["-"] * 7 and line.endswith("skipped (no access)")
    assert all(row[-1] == "success" for name, row in rows.items() if name != "invoices")
    assert "invoices: skipped (no access)" in run.err and "403" in run.err
    assert "properties of invoices skipped" in caplog.text
    assert not HubSpotInvoice.objects.exists() and HubSpotQuote.objects.exists()
    # no failed run is left behind for the type (the health check would count it for ever):
    # one skipped row says why
    skipped = SyncHistory.objects.get(object_type="invoices")
    assert skipped.status == "skipped" and skipped.finished_at is not None
    assert skipped.error_message.startswith("no access: HTTP 403 MISSING_SCOPES")
    assert not HubSpotProperty.objects.filter(object_type="invoices").exists()
    assert HubSpotProperty.objects.filter(object_type="quotes").exists()
    # links towards the type are not readable either: payments keep their other links
    assert SyncHistory.objects.get(object_type="commerce_payments").status == "success"
    links = HubSpotAssociation.objects.filter(from_object_type="commerce_payments")
    assert links.filter(to_object_type="contacts").exists()
    assert not links.filter(to_object_type="invoices").exists()
    assert "commerce_payments: links to invoices not read: no access" in caplog.text


def test_scope_removed_after_a_sync_when_sync_all_then_stored_rows_and_definitions_kept(
        hubspot, monkeypatch):
    only(monkeypatch, "quotes", "invoices")
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
def test_upkeep_jobs_when_a_type_has_no_access_then_skipped_and_exit_0(hubspot, monkeypatch,
                                                                      flag):
    only(monkeypatch, "quotes", "leads", "tasks")
    hubspot.control.deny_scopes(["crm.objects.leads.read"])
    run = run_command("sync_hubspot_all", flag)
    line = next(row for row in run.out.splitlines() if row.startswith("leads "))
    assert line.endswith("skipped (no access)")
    skipped = SyncHistory.objects.get(object_type="leads")
    assert (skipped.status, skipped.mode) == ("skipped", flag.removeprefix("--").split("-")[0])
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
    # fanned out by `sync_hubspot_all --on-workers`: checked first, skipped, recorded so
    error, _ = run_failing("sync_hubspot_invoices", "--full", "--check-access-first")
    assert error.returncode == 77
    assert SyncHistory.objects.latest("pk").status == "skipped"


def test_verify_when_a_type_has_no_access_then_skipped_others_checked_exit_0(hubspot):
    run_command("sync_hubspot_quotes")
    run_command("sync_hubspot_orders")
    hubspot.control.deny_scopes(["crm.objects.orders.read"])
    run = run_command("verify_hubspot", "--types", "quotes,orders")
    line = next(row for row in run.out.splitlines() if row.startswith("orders "))
    assert line.endswith("skipped (no access)")
    assert "orders: skipped (no access)" in run.err
    assert SyncHistory.objects.filter(object_type="quotes", mode="verify").exists()
    assert SyncHistory.objects.get(object_type="orders", mode="verify").status == "skipped"


@pytest.mark.once
def test_fanned_out_command_when_exit_77_then_row_skipped_no_access_and_no_failure():
    from ingestion.management.commands.sync_hubspot_all import Command
    from ingestion.management.multi_sync import format_table
    from ingestion.management.outcomes import Report

    rows = Report("sync_hubspot_invoices", 77, error="no access to invoices").rows()
    assert [(o.name, o.status) for o in rows] == [("invoices", "no access")]
    assert format_table(rows).splitlines()[-1].endswith("skipped (no access)")
    Command().exit_for(rows)  # raises nothing: a skipped type fails nothing


def test_fanned_out_commands_when_sent_then_asked_to_check_access_first():
    from ingestion.management.fan_out import FORWARDED, flags_for

    opts = {**dict.fromkeys(FORWARDED), "full": True}
    assert flags_for("sync_hubspot_invoices", opts) == {"full": True,
                                                        "check_access_first": True}


# -- records forbidden, definitions readable: skipped everywhere, one skipped row ------------

@pytest.mark.parametrize(("command", "flags", "mode"), [
    ("sync_hubspot_all", (), "incremental"),
    ("sync_hubspot_all", ("--deletions",), "deletions"),
    ("verify_hubspot", ("--types", "companies,deals"), "verify"),
])
def test_records_forbidden_definitions_readable_when_many_types_run_then_one_skipped_row(
        hubspot, monkeypatch, command, flags, mode):
    only(monkeypatch, "companies", "contacts", "deals")
    if command == "verify_hubspot":
        run_command("sync_hubspot_deals")  # deals mirrored: exact
    # HubSpot scopes a type's definitions (crm.schemas.companies.read) apart from its records
    hubspot.control.deny_scopes(["crm.objects.companies.read"])
    run = run_command(command, *flags)  # exit 0: a type without access fails nothing
    line = next(row for row in run.out.splitlines() if row.startswith("companies "))
    assert line.endswith("skipped (no access)")
    runs = SyncHistory.objects.filter(object_type="companies")
    assert [(r.status, r.mode) for r in runs] == [("skipped", mode)]
    assert runs[0].error_message.startswith("no access: HTTP 403 MISSING_SCOPES")
    assert not SyncHistory.objects.filter(status="failed").exists()


# -- a problem no type can get past: the run stops once, in one line --------------------------

@pytest.fixture
def silent_hubspot(settings):
    """A host that accepts connections and never answers; yields the connections it took."""
    import socket
    import threading

    server = socket.create_server(("127.0.0.1", 0))
    taken: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                taken.append(server.accept()[0])
            except OSError:  # closed: the test is over
                return

    threading.Thread(target=accept, daemon=True).start()
    settings.HUBSPOT_API_BASE_URL = f"http://127.0.0.1:{server.getsockname()[1]}"
    settings.HUBSPOT_TIMEOUT = 0.2
    settings.HUBSPOT_MAX_ATTEMPTS = 8
    yield taken
    server.close()
    for connection in taken:
        connection.close()


@pytest.fixture
def unconnectable_hubspot(settings):
    """A host whose connections are never completed: its one-place backlog is full, so the
    kernel drops further connection attempts (a connect timeout)."""
    import socket

    server = socket.create_server(("127.0.0.1", 0), backlog=0)
    address = server.getsockname()
    fillers = [socket.socket() for _ in range(3)]
    for filler in fillers:
        filler.setblocking(False)
        filler.connect_ex(address)
    settings.HUBSPOT_API_BASE_URL = f"http://127.0.0.1:{address[1]}"
    settings.HUBSPOT_TIMEOUT = 0.2
    settings.HUBSPOT_MAX_ATTEMPTS = 8
    yield
    for sock in (*fillers, server):
        sock.close()


def test_host_never_answering_when_sync_all_then_stops_once_unreachable_exit_1(
        hubspot, silent_hubspot):
    error, run = run_failing("sync_hubspot_all")
    assert error.returncode == 1
    message = str(error)
    assert message.startswith("the run stopped at properties (")
    assert f"{len(ORDER) - 3} other type(s) not tried" in message  # all but it, schemas, pets
    assert "custom object types not looked for" in message
    assert "HubSpot unreachable" in message and "did not answer within 0.2 s" in message
    assert "HUBSPOT_TIMEOUT" in message and "(3 attempt(s))" in message
    assert len(silent_hubspot) == 3  # timeouts get 3 attempts, not HUBSPOT_MAX_ATTEMPTS (8)
    assert "FAILED" not in run.err  # said once: the command's last line
    assert list(table(run.out)) == ["properties"]
    failed = SyncHistory.objects.get()
    assert failed.status == "failed" and "HubSpot unreachable" in failed.error_message


def test_host_never_connecting_when_sync_all_then_stops_once_unreachable_exit_1(
        hubspot, unconnectable_hubspot):
    error, run = run_failing("sync_hubspot_all")
    assert error.returncode == 1
    assert "HubSpot unreachable" in str(error) and "could not connect within 0.2 s" in str(error)
    assert "(3 attempt(s))" in str(error) and "other type(s) not tried" in str(error)
    assert list(table(run.out)) == ["properties"]


def test_refused_token_when_sync_all_then_says_run_stopped_and_types_not_tried(
        hubspot, settings):
    settings.HUBSPOT_ACCESS_TOKEN = "pat-na1-revoked"
    error, run = run_failing("sync_hubspot_all")
    assert error.returncode == 1
    assert str(error).startswith("the run stopped at properties (")
    assert f"{len(ORDER) - 3} other type(s) not tried" in str(error)
    assert "refused the access token" in str(error) and "sync(s) failed" not in str(error)
    assert "pat-na1-revoked" not in str(error) + run.out + run.err


def test_custom_object_types_unreadable_when_sync_all_then_failed_schemas_step_recorded(
        hubspot, monkeypatch):
    only(monkeypatch, "contacts", CUSTOM)
    hubspot.control.set_faults(rate=1.0, kinds=["500"], match={"path_prefix": "/crm/v3/schemas"})
    error, run = run_failing("sync_hubspot_all")
    assert error.returncode == 1 and "custom object types" in str(error)
    assert table(run.out)["custom object types"] == ["-"] * 7 + ["failed"]
    step = SyncHistory.objects.get(object_type="schemas")
    assert step.status == "failed" and step.finished_at is not None
    assert step.error_message.startswith("finding the custom object types: HTTP 500")
    assert "HTTP 500" in step.error_message
    assert SyncHistory.objects.get(object_type="contacts").status == "success"


def test_links_for_unknown_type_when_sync_associations_then_usage_error_no_table_no_run(
        hubspot):
    error, run = run_failing("sync_hubspot_associations", "--types", "bogus")
    assert error.returncode == 2 and "unknown object type(s) bogus" in str(error)
    assert run.out == "" and not SyncHistory.objects.exists()
