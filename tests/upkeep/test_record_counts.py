"""One request for every type's count (the limits tracking API's record counts,
docs/hubspot-api.md#record-counts): verify_hubspot starts each record type from it instead of
one search per type, and the status page shows it beside the mirror's live rows; a type it
does not list, and every type when it answers 404 or a malformed reply, is counted by search
as before."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from sync_commands import run_command, run_failing
from upstream import requests_by_path

from ingestion.models import HubSpotContact
from ingestion.ops import status
from ingestion.sync.hubspot import paths as paths_module
from ingestion.sync.hubspot.record_counts import record_counts

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

TYPES = ("contacts", "companies", "deals")
LIMITS = "/crm/v3/limits/records"


@pytest.fixture
def mirrored(hubspot, settings) -> None:
    """2,000 contacts (searched in windows: listing them would cost 20 requests) with their
    companies and deals, mirrored; no settle time."""
    settings.HUBSPOT_VERIFY_SETTLE_SECONDS = 0
    hubspot.control.reset(contacts=2_000, seed=3)
    for name in TYPES:
        run_command(f"sync_hubspot_{name}", "--full", "--skip-associations")


def verify_requests(hubspot) -> tuple[int, int]:
    """(record count requests, searches) one exact verify_hubspot of TYPES makes."""
    before = requests_by_path(hubspot)
    run_command("verify_hubspot", "--types", ",".join(TYPES))
    made = requests_by_path(hubspot) - before
    return made[LIMITS], sum(n for path, n in made.items() if path.endswith("/search"))


def test_counts_endpoint_when_verified_then_one_request_replaces_one_search_per_type(
        mirrored, hubspot, monkeypatch):
    counted, searches = verify_requests(hubspot)
    assert counted == 1
    monkeypatch.setattr(paths_module.HubSpotPaths, "record_counts",
                        lambda self: "/crm/v3/limits/nowhere")  # 404: not in this account
    assert verify_requests(hubspot) == (0, searches + len(TYPES))


def test_type_the_counts_do_not_list_when_verified_then_that_one_searched(
        mirrored, hubspot, monkeypatch):
    _, searches = verify_requests(hubspot)
    from ingestion.management.commands import verify_hubspot

    def without_deals(client):
        return {k: v for k, v in record_counts(client).items() if k != "0-3"}

    monkeypatch.setattr(verify_hubspot, "record_counts", without_deals)
    assert verify_requests(hubspot) == (1, searches + 1)


def test_malformed_counts_reply_when_verified_then_every_type_searched_and_exact(
        mirrored, hubspot, monkeypatch):
    _, searches = verify_requests(hubspot)
    monkeypatch.setattr(paths_module.HubSpotPaths, "record_counts",
                        lambda self: "/crm/v3/owners")  # 200, but not the counts' shape
    assert verify_requests(hubspot) == (0, searches + len(TYPES))


def test_planted_missing_record_when_counted_then_still_located(mirrored, hubspot):
    gone = HubSpotContact.objects.filter(archived=False).order_by("created_at")[700]
    HubSpotContact.objects.filter(pk=gone.pk).delete()
    before = requests_by_path(hubspot)
    error, run = run_failing("verify_hubspot", "--types", "contacts")
    assert error.returncode == 4 and f"contacts missing (1): {gone.pk}" in run.out
    assert (requests_by_path(hubspot) - before)[LIMITS] == 1


def test_status_rows_when_counts_read_then_mirror_beside_hubspot_in_one_request(
        hubspot, api, settings):
    cache.clear()  # counts another test's page kept
    run_command("sync_hubspot_contacts", "--skip-associations")
    before = requests_by_path(hubspot)
    rows = {s.object_type: s for s in status.type_statuses(hubspot=status.hubspot_counts())}
    assert status.hubspot_counts() is not None  # kept a while: not asked again
    assert (requests_by_path(hubspot) - before) == {LIMITS: 1}
    live = HubSpotContact.objects.filter(archived=False).count()
    assert rows["contacts"].cells()["records"] == f"{live:,} / {live:,}"
    usage = {t["objectTypeId"]: t["usage"]
             for t in api.get(LIMITS).json()["hubspotDefinedObjectTypes"]}
    assert rows["companies"].cells()["records"] == f"0 / {usage['0-2']:,}"
    assert rows["owners"].cells()["records"] == "—"  # not a record type
    settings.HUBSPOT_ACCESS_TOKEN = ""
    assert status.hubspot_counts() is None
    rows = {s.object_type: s for s in status.type_statuses()}
    assert rows["contacts"].cells()["records"] == f"{live:,} / —"


def test_status_counts_when_hubspot_unreachable_then_none_at_once(settings):
    settings.HUBSPOT_ACCESS_TOKEN = "t"
    settings.HUBSPOT_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens: one try, no wait
    assert status.hubspot_counts() is None
    assert cache.get("hubspot-record-counts:default:http://127.0.0.1:9") == {}  # not asked soon

