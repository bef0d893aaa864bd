"""sync_hubspot_workflows: the marketing sources' base engine (engines/sources.py) on its
simplest source: every flow with its definition, read whole each run, in both API families."""

from __future__ import annotations

import pytest
from django.db import connection
from sync_commands import run_command, run_failing
from upstream import requests_by_path

from ingestion.models import HubSpotWorkflow, SyncHistory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

FLOWS = "/automation/v4/flows"


def workflows(*flags: str) -> dict[str, int]:
    return run_command("sync_hubspot_workflows", *flags)["workflows"]


def upstream_flows(api) -> list[dict]:
    return api.get(FLOWS, params={"limit": 100}).json()["results"]


@pytest.mark.usefixtures("api_family")
def test_first_run_when_synced_then_every_flow_stored_with_its_times(hubspot, api):
    counts = workflows()
    upstream = {f["id"]: f for f in upstream_flows(api)}
    assert counts["created"] == len(upstream) == HubSpotWorkflow.objects.count() > 0
    for flow in HubSpotWorkflow.objects.all():
        assert flow.name == upstream[flow.id]["name"]
        assert flow.enabled is upstream[flow.id]["isEnabled"]
        assert flow.created_at is not None and flow.updated_at >= flow.created_at
    assert SyncHistory.objects.get().status == "success"


def test_dated_family_when_synced_then_definitions_read_in_one_batch_per_page(
        hubspot, api, settings):
    settings.HUBSPOT_API_VERSION = "2026-09"
    workflows()
    flow = HubSpotWorkflow.objects.order_by("id").first()
    assert flow.raw["actions"] and "enrollmentCriteria" in flow.raw  # the definition
    assert flow.flow_type == "WORKFLOW" and flow.object_type_id
    calls = requests_by_path(hubspot)
    assert calls[FLOWS] == 2  # the access probe, then the one page
    assert calls[f"{FLOWS}/batch/read"] == 1


def test_second_run_when_nothing_changed_then_skipped_and_force_overwrite_replaces(hubspot):
    first = workflows()
    assert workflows()["skipped"] == first["created"]
    assert workflows("--force-overwrite")["overwritten"] == first["created"]


def test_flow_gone_upstream_when_full_run_then_row_archived(hubspot, monkeypatch):
    workflows()
    from ingestion.sync.hubspot.engines import workflows as engine_module

    original = engine_module.HubSpotWorkflowSyncEngine.pages

    def all_but_the_first(self, since):
        for page in original(self, since):
            yield [f for f in page if str(f["id"]) != "1000000"]

    monkeypatch.setattr(engine_module.HubSpotWorkflowSyncEngine, "pages", all_but_the_first)
    assert workflows()["archived"] == 1
    assert HubSpotWorkflow.objects.get(id="1000000").archived


def test_malformed_entries_when_synced_then_each_fails_alone_rest_saved(hubspot, monkeypatch):
    from ingestion.sync.hubspot.engines import workflows as engine_module

    def captured(self, since):  # what a hostile reply could hold, past the envelope check
        yield [{"id": "1", "name": "ok", "isEnabled": True}, {"name": "no id"}, "text",
               {"id": "2", "createdAt": "not a date"}]

    monkeypatch.setattr(engine_module.HubSpotWorkflowSyncEngine, "pages", captured)
    error, _ = run_failing("sync_hubspot_workflows")
    assert error.returncode == 3  # partial: some records failed
    assert list(HubSpotWorkflow.objects.values_list("id", flat=True)) == ["1"]
    reasons = {e.object_id: e.reason for e in SyncHistory.objects.get().errors.all()}
    assert "2" in reasons and "unreadable workflows item" in reasons["2"]
    assert len(reasons) == 3


@pytest.mark.parametrize("flag", [["--since", "2026-01-01"], ["--skip-associations"],
                                  ["--links-only"]])
def test_flag_that_cannot_apply_when_given_then_usage_error_before_any_run(hubspot, flag):
    error, _ = run_failing("sync_hubspot_workflows", *flag)
    assert error.returncode == 2 and flag[0] in str(error)
    assert not SyncHistory.objects.exists()


def test_dry_run_when_flows_changed_then_would_be_counts_and_nothing_written(hubspot):
    counts = workflows("--dry-run")
    assert counts["created"] > 0 and not HubSpotWorkflow.objects.exists()


def test_scope_missing_when_synced_then_exit_77_and_sync_all_skips_it(hubspot):
    hubspot.control.deny_scopes(["automation"])
    error, _ = run_failing("sync_hubspot_workflows")
    assert error.returncode == 77 and "no access" in str(error)
    assert not SyncHistory.objects.exists()


def test_typed_view_when_synced_then_columns_typed_without_raw(hubspot):
    workflows()
    run_command("build_hubspot_views")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, name, enabled, created_at FROM hubspot_workflow_v "
                       "WHERE enabled ORDER BY id")
        rows = cursor.fetchall()
        described = [c.name for c in connection.introspection.get_table_description(
            cursor, "hubspot_workflow_v")]
    assert len(rows) == HubSpotWorkflow.objects.filter(enabled=True).count() > 0
    assert "raw" not in described and "flow_type" in described


@pytest.fixture
def counted_workflows(monkeypatch):
    """Workflows as a source HubSpot gives a count of (the lead-in for the sources that have
    one: verify_hubspot compares it with the live rows)."""
    from ingestion.sync.hubspot.engines.workflows import HubSpotWorkflowSyncEngine

    def upstream_total(self) -> int:
        return sum(len(page) for page in self.pages(None))

    monkeypatch.setattr(HubSpotWorkflowSyncEngine, "upstream_total", upstream_total)


@pytest.mark.usefixtures("counted_workflows")
def test_counted_source_when_rows_missing_then_verify_not_exact_and_fix_restores(hubspot):
    workflows()
    HubSpotWorkflow.objects.filter(id__in=["1000000", "1000007"]).delete()
    error, run = run_failing("verify_hubspot", "--types", "workflows")
    assert error.returncode == 4
    row = next(line for line in run.out.splitlines() if line.startswith("workflows "))
    assert row.split()[1:5] == ["12", "10", "2", "0"]  # hubspot, local, missing, extra
    fixed = run_command("verify_hubspot", "--types", "workflows", "--fix")
    assert "fixed" in fixed.out and HubSpotWorkflow.objects.count() == 12


def test_source_without_a_count_when_verified_then_usage_error(hubspot):
    error, _ = run_failing("verify_hubspot", "--types", "workflows")
    assert error.returncode == 2 and "no count of workflows" in str(error)


def test_source_when_never_run_then_listed_by_hubspot_status_and_fresh_after_a_run(hubspot):
    import io

    from django.core.management import call_command

    def status_row() -> list[str]:
        out = io.StringIO()
        call_command("hubspot_status", stdout=out)
        return next(line for line in out.getvalue().splitlines()
                    if line.startswith("workflows ")).split()

    assert "success" not in status_row()  # listed before its first run
    workflows()
    assert status_row()[1] == "success" and "fresh" in status_row()
