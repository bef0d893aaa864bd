"""A malformed reply is never data (docs/modes.md): `{}`, a wrong shape, a cursor that
repeats, a search that ignores its filter or a wait HubSpot asks for that no run can afford
stop the run; nothing is archived or unlinked on the strength of them."""

from __future__ import annotations

import math
import time

import pytest
from contacts_runs import (
    CONTACTS_LIST,
    CONTACTS_SEARCH,
    contacts,
    contacts_failing,
    last_run,
    live_ids,
    upstream_ids,
    watermark,
)
from django.conf import settings
from upstream import requests_by_path

from ingestion.models import HubSpotAssociation, HubSpotContact

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

LIST_GET = {"method": "GET", "path_prefix": CONTACTS_LIST}


def _assert_failed_run_changed_nothing(error, live_before, watermark_before, *words):
    assert error.returncode == 1
    for word in words:
        assert word in str(error)
    assert live_ids() == live_before  # no sweep: not one stored row archived
    assert not HubSpotContact.objects.filter(pk__in=live_before, archived=True).exists()
    assert watermark() == watermark_before
    run = last_run()
    assert run.status == "failed" and run.watermark is None and run.records_watermark is None
    for word in words:
        assert word in run.error_message


@pytest.mark.parametrize("where", ["live-listing", "archived-listing"])
def test_prior_full_sync_when_list_page_answers_empty_object_then_fatal_malformed_nothing_archived(
        hubspot, api, where):
    contacts("--full")
    live_before, watermark_before = live_ids(), watermark()
    assert len(live_before) > 30 and watermark_before is not None
    # Page size 10: the third page of the live listing, or the first of the archived one.
    live_upstream = len(upstream_ids(api))
    good_pages = 2 if where == "live-listing" else math.ceil(live_upstream / 10)
    retries = settings.HUBSPOT_MAX_ATTEMPTS + 2
    hubspot.control.set_faults(
        script=[{"kind": "pass"}] * good_pages + [{"kind": "empty_object"}] * retries,
        match=LIST_GET)

    error, _ = contacts_failing("--full", "--batch-size", "10")

    assert hubspot.control.stats()["faults_injected"] == settings.HUBSPOT_MAX_ATTEMPTS
    _assert_failed_run_changed_nothing(error, live_before, watermark_before,
                                       "malformed", f"GET {CONTACTS_LIST}")


@pytest.mark.parametrize("body", [
    {"results": "x"},
    {"results": [], "paging": "x"},
    {"results": [], "paging": {"next": {"after": ""}}},
], ids=["results-not-a-list", "paging-not-an-object", "empty-cursor"])
def test_prior_full_sync_when_list_page_has_wrong_shape_then_fatal_malformed_nothing_archived(
        hubspot, body):
    contacts("--full")
    live_before, watermark_before = live_ids(), watermark()
    retries = settings.HUBSPOT_MAX_ATTEMPTS + 2
    hubspot.control.set_faults(
        script=[{"kind": "pass"}, {"kind": "pass"}] + [{"kind": "body", "body": body}] * retries,
        match=LIST_GET)

    error, _ = contacts_failing("--full", "--batch-size", "10")

    _assert_failed_run_changed_nothing(error, live_before, watermark_before,
                                       "malformed", f"GET {CONTACTS_LIST}")


def test_one_transient_empty_object_when_listing_then_retried_and_every_record_saved(
        hubspot, api):
    expected = set(upstream_ids(api)) | set(upstream_ids(api, archived=True))
    hubspot.control.set_faults(script=[{"kind": "pass"}, {"kind": "empty_object"}],
                               match=LIST_GET)

    counts = contacts("--full", "--batch-size", "10")

    assert hubspot.control.stats()["faults_injected"] == 1
    assert set(HubSpotContact.objects.values_list("pk", flat=True)) == expected
    assert counts["fetched"] == counts["created"] == len(expected)
    assert last_run().status == "success" and watermark() is not None


def test_stored_links_when_association_batch_read_answers_empty_object_then_fatal_no_link_deleted(
        hubspot):
    contacts("--full")
    key = ("from_object_type", "from_id", "to_object_type", "to_id", "association_type_id",
           "category", "label")
    links_before = set(HubSpotAssociation.objects.values_list(*key))
    count_before = HubSpotAssociation.objects.count()
    assert count_before > 30
    watermark_before = watermark()
    hubspot.control.set_faults(rate=1.0, kinds=["empty_object"],
                               match={"method": "POST", "path_prefix": "/crm/v4/associations"})

    error, _ = contacts_failing("--full")

    assert error.returncode == 1
    assert "malformed" in str(error) and "/crm/v4/associations/contacts/" in str(error)
    assert HubSpotAssociation.objects.count() == count_before
    assert set(HubSpotAssociation.objects.values_list(*key)) == links_before
    assert watermark() == watermark_before
    assert last_run().status == "failed" and "malformed" in last_run().error_message


def test_prior_full_sync_when_list_cursor_repeats_then_fails_within_seconds_nothing_archived(
        hubspot):
    contacts("--full")
    live_before, watermark_before = live_ids(), watermark()
    listed_before = requests_by_path(hubspot)[CONTACTS_LIST]
    hubspot.control.set_faults(rate=1.0, kinds=["repeat_cursor"], match=LIST_GET)

    started = time.monotonic()
    error, _ = contacts_failing("--full", "--batch-size", "10")
    elapsed = time.monotonic() - started

    assert elapsed < 20
    assert "cursor" in str(error) and "second time" in str(error)
    _assert_failed_run_changed_nothing(error, live_before, watermark_before, "cursor")
    # page 1, then page 2 whose cursor repeats: stopped there, not looping
    assert requests_by_path(hubspot)[CONTACTS_LIST] - listed_before == 2


def test_touched_contacts_when_search_ignores_its_filter_then_fails_fast_naming_the_search(
        hubspot):
    contacts("--full")
    watermark_before = watermark()
    hubspot.control.touch("contacts", count=5, modified_ms=int(time.time() * 1000))
    hubspot.control.set_faults(rate=1.0, kinds=["ignore_filter"],
                               match={"method": "POST", "path_prefix": CONTACTS_SEARCH})

    started = time.monotonic()
    error, _ = contacts_failing()
    elapsed = time.monotonic() - started

    assert elapsed < 20
    assert error.returncode == 1
    assert "search" in str(error) and "ignored the search's filter" in str(error)
    assert "lastmodifieddate" in str(error)
    assert requests_by_path(hubspot)[CONTACTS_SEARCH] <= 3  # no loop
    run = last_run()
    assert (run.mode, run.status) == ("incremental", "failed")
    assert "ignored the search's filter" in run.error_message
    assert watermark() == watermark_before


def test_retry_after_one_day_when_listing_then_fails_within_seconds_naming_the_wait_and_setting(
        hubspot):
    hubspot.control.set_faults(script=[{"kind": "retry_after", "seconds": 86400}],
                               match=LIST_GET)

    started = time.monotonic()
    error, _ = contacts_failing("--full")
    elapsed = time.monotonic() - started

    assert elapsed < 20
    assert error.returncode == 1
    assert "86400" in str(error) and "HUBSPOT_MAX_WAIT_SECONDS" in str(error)
    run = last_run()
    assert run.status == "failed" and "HUBSPOT_MAX_WAIT_SECONDS" in run.error_message
    assert not HubSpotContact.objects.exists()
