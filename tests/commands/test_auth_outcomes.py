"""HubSpot's 401 (the token refused) and 403 (no access to a type) on a sync command and on
verify_hubspot: the documented exit code and a line that says which, from the one mapping of
failures (ingestion/management/outcomes.py), which tells them apart by class.
apply_hubspot_events: tests/webhooks/test_apply.py."""

from __future__ import annotations

import pytest
from sync_commands import run_command, run_failing

from ingestion.models import HubSpotInvoice, SyncHistory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

REFUSED = "HubSpot refused the access token"


@pytest.mark.parametrize("command", [("sync_hubspot_invoices", "--full"),
                                     ("verify_hubspot", "--types", "invoices")])
def test_token_refused_when_run_then_exit_1_configuration_error_naming_the_token(
        hubspot, settings, command):
    settings.HUBSPOT_ACCESS_TOKEN = "pat-na1-revoked-0000"
    error, _ = run_failing(*command)
    assert error.returncode == 1 and REFUSED in str(error), str(error)
    assert "HUBSPOT_ACCESS_TOKEN" in str(error) and "HTTP 401" in str(error)
    assert "no access" not in str(error) and "pat-na1-revoked-0000" not in str(error)
    assert not HubSpotInvoice.objects.exists()


def test_type_forbidden_when_its_sync_runs_then_exit_77_no_access_naming_the_type(hubspot):
    hubspot.control.deny_scopes(["crm.objects.invoices.read"])
    error, _ = run_failing("sync_hubspot_invoices", "--full")
    assert error.returncode == 77 and str(error).startswith("no access to invoices: "), error
    assert "HTTP 403" in str(error) and REFUSED not in str(error)


def test_type_forbidden_when_verified_then_skipped_no_access_exit_0(hubspot):
    hubspot.control.deny_scopes(["crm.objects.invoices.read"])
    run = run_command("verify_hubspot", "--types", "invoices")
    assert run.out.splitlines()[-1].endswith("skipped (no access)")
    assert "invoices: skipped (no access): no access to invoices: HubSpot answered HTTP 403" \
        in run.err
    assert SyncHistory.objects.get(object_type="invoices").status == "skipped"
