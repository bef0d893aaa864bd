"""How the client treats HubSpot's limits and failures over HTTP: pacing under the rolling
windows instead of leaning on 429s, property lists too long for a URL or a search body read by
id, transport faults retried, Retry-After honoured, and what --debug logs (never the token)."""

from __future__ import annotations

import io
import logging
import time
from dataclasses import replace

import pytest
from django.core.management import call_command

from ingestion.models import HubSpotContact

pytestmark = pytest.mark.django_db(transaction=True)


def test_starter_limit_when_syncing_many_pages_then_paced_without_any_429(hubspot):
    hubspot.control.reset(contacts=1200, seed=4)
    # HubSpot's starter policy (100 per window) with a 1 s window to keep the test short;
    # the client learns both numbers from the X-HubSpot-RateLimit-* headers.
    hubspot.control.set_rate_limit("starter", window_ms=1000)
    started = time.monotonic()
    call_command("sync_hubspot_contacts", "--full", "--batch-size", "10", stdout=io.StringIO())
    elapsed = time.monotonic() - started
    stats = hubspot.control.stats()
    assert stats["by_status"].get("429", 0) == 0
    assert stats["requests"] > 100 and elapsed >= 1.0  # it did have to wait for the window
    assert HubSpotContact.objects.count() == 1200


def test_search_limit_when_incremental_needs_many_pages_then_paced_at_5_per_second(hubspot,
                                                                                   settings):
    settings.HUBSPOT_SEARCH_REQUESTS_PER_SECOND = 5
    hubspot.control.reset(contacts=600, seed=4)
    call_command("sync_hubspot_contacts", stdout=io.StringIO())
    hubspot.control.set_rate_limit("pro")
    hubspot.control.touch("contacts", count=500, modified_ms=int(time.time() * 1000))
    out = io.StringIO()
    call_command("sync_hubspot_contacts", "--batch-size", "40", stdout=out)
    assert "updated=500" in out.getvalue()
    assert hubspot.control.stats()["by_status"].get("429", 0) == 0


def test_debug_when_set_then_each_request_logged_without_token(hubspot, caplog):
    with caplog.at_level(logging.DEBUG, logger="ingestion"):
        call_command("sync_hubspot_contacts", "--full", "--debug", stdout=io.StringIO(),
                     stderr=io.StringIO())
    text = caplog.text
    assert "GET /crm/v3/objects/contacts -> 200 in" in text
    assert "POST" not in text or "/search" in text or "batch" in text
    assert "batch of" in text
    assert hubspot.token not in text and "Bearer" not in text
    logging.getLogger("ingestion").setLevel(logging.WARNING)


def test_property_list_too_long_for_url_or_search_body_when_syncing_then_read_by_id(hubspot):
    from ingestion.base.results import SyncOptions
    from ingestion.sync.hubspot.client import HubSpotClient
    from ingestion.sync.hubspot.connection import limits_from_settings
    from ingestion.sync.hubspot.engines.registry import BY_NAME

    # A portal whose property list is longer than HubSpot accepts in a URL (414) or in a
    # search body (400): shrink both limits instead of defining hundreds of properties.
    hubspot.control.reset(contacts=300, seed=4, max_url_length=700)
    hubspot.control.set_search_limits(max_body_chars=600)

    def client():
        limits = replace(limits_from_settings(), url_budget_chars=500,
                         search_body_max_bytes=500)
        return HubSpotClient(hubspot.url, hubspot.token, limits=limits)

    contacts_engine = BY_NAME["contacts"]
    contacts_engine(SyncOptions(full=True), client=client()).run()
    names = set(client().property_names("contacts"))
    rows = HubSpotContact.objects.filter(archived=False)
    assert rows.count() > 250 and all(names <= set(r.properties) for r in rows)
    hubspot.control.touch("contacts", count=50, modified_ms=int(time.time() * 1000))
    result = contacts_engine(SyncOptions(), client=client()).run()
    assert result.counts.updated == 50
    stats = hubspot.control.stats()["by_status"]
    assert "414" not in stats and "400" not in stats


def test_every_transport_fault_when_syncing_then_retried_and_all_records_saved(hubspot,
                                                                                settings):
    settings.HUBSPOT_TIMEOUT = 0.5
    hubspot.control.set_faults(
        script=[{"kind": "drop"}, {"kind": "malformed_json"}, {"kind": "html_503"},
                {"kind": "slow", "seconds": 1.5}, {"kind": "502"}, {"kind": "504"}],
        match={"method": "GET", "path_prefix": "/crm/v3/objects/contacts"})
    call_command("sync_hubspot_contacts", "--full", stdout=io.StringIO())
    live_and_archived = 40
    assert HubSpotContact.objects.count() == live_and_archived
    assert hubspot.control.stats()["faults_injected"] == 6


def test_retry_after_when_sent_then_client_waits_at_least_that_long(hubspot):
    hubspot.control.set_faults(script=[{"kind": "477"}],
                               match={"method": "GET", "path_prefix": "/crm/v3/objects"})
    started = time.monotonic()
    call_command("sync_hubspot_contacts", "--full", stdout=io.StringIO())
    assert time.monotonic() - started >= 1.0  # Retry-After: 1, though backoff is 10 ms here
    assert hubspot.control.stats()["faults_injected"] == 1
    assert HubSpotContact.objects.count() == 40
