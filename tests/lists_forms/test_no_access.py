"""A portal (or app) without the lists or forms scope: HubSpot answers 403, and the type is
refused before a run is recorded; sync_hubspot_all skips it with a warning."""

from __future__ import annotations

import pytest
from sync_all_types import keep_only
from sync_commands import run_command, run_failing

from ingestion.models import HubSpotForm, HubSpotList, SyncHistory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]


@pytest.mark.parametrize(("command", "scope"), [("sync_hubspot_lists", "crm.lists.read"),
                                                ("sync_hubspot_forms", "forms")])
def test_scope_missing_when_syncing_then_exit_77_and_no_run_recorded(hubspot, command, scope):
    hubspot.control.deny_scopes([scope])
    error, _ = run_failing(command)
    assert error.returncode == 77 and "no access" in str(error)
    assert not SyncHistory.objects.exists()


def test_scopes_missing_when_sync_all_then_lists_and_forms_skipped_with_warning(
        hubspot, monkeypatch):
    keep_only(monkeypatch, "contacts", "lists", "forms")
    hubspot.control.deny_scopes(["crm.lists.read", "forms"])
    run = run_command("sync_hubspot_all")
    rows = {line.split()[0]: line for line in run.out.splitlines() if line.strip()}
    assert rows["lists"].endswith("skipped (no access)")
    assert rows["forms"].endswith("skipped (no access)")
    assert "lists: skipped (no access)" in run.err and "forms: skipped (no access)" in run.err
    assert run["contacts"]["created"] > 0  # the other types ran as usual
    assert not HubSpotList.objects.exists() and not HubSpotForm.objects.exists()
    skipped = SyncHistory.objects.filter(object_type__in=["lists", "forms"])
    assert sorted(skipped.values_list("status", flat=True)) == ["skipped", "skipped"]

    hubspot.control.set_token_scopes(None)  # granted later: the next run mirrors them
    again = run_command("sync_hubspot_all")
    assert again["lists"]["created"] == 4 and again["forms"]["created"] == 8
