"""Resume (issue 28) of lists and forms: a first `sync_hubspot_lists` / `sync_hubspot_forms`
SIGKILLed mid-run continues on the next run without reading again the memberships /
submissions of the definitions whose batch committed in the killed attempt (the checkpoint's
ids: engines/marketing.py); the definitions are read whole again, and the mirror ends exact.

The kill is real: `manage.py` in a subprocess against an emulator that answers the type's
requests a little slowly, killed once its checkpoint holds enough committed definitions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from django.core.management import call_command
from subprocesses import ROOT, current_database_url, signal_when
from sync_commands import run_command
from upstream import listing, requests_by_path

from ingestion.models import (
    HubSpotForm,
    HubSpotFormSubmission,
    HubSpotList,
    HubSpotListMembership,
    SyncCheckpoint,
)
from ingestion.sync.hubspot.forms import keeps_submissions

pytestmark = pytest.mark.django_db(transaction=True)

BATCH = "2"
LISTS = 16
FORMS = 6
SUBMISSIONS_EACH = 110  # three pages of 50: a committed form read again costs one
SUBMISSIONS = "/form-integrations/v1/submissions/forms"
HOUR_MS = 3_600_000
FIRST_MS = 1_767_225_600_000  # 2026-01-01: fixed submission times, an hour apart


def child(hubspot, command: str, *flags: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": current_database_url(),
           "HUBSPOT_MIRROR_ENV_FILE": "", "HUBSPOT_API_BASE_URL": hubspot.url,
           "HUBSPOT_ACCESS_TOKEN": hubspot.token}
    return subprocess.Popen([sys.executable, "manage.py", command, "--batch-size", BATCH,
                             *flags],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def kill_after(hubspot, process: subprocess.Popen, object_type: str, path: str,
               committed: int) -> SyncCheckpoint:
    """SIGKILL the run once its checkpoint holds `committed` definitions; the checkpoint."""
    def reached() -> bool:
        row = SyncCheckpoint.objects.filter(object_type=object_type).first()
        return bool(row) and row.records >= committed

    signal_when(process, signal.SIGKILL, reached, hubspot=hubspot, slow_path=path, slow_s=0.1)
    return SyncCheckpoint.objects.get(object_type=object_type)


def requests_to(hubspot, part: str) -> int:
    return sum(requests_by_path(hubspot, lambda path: part in path).values())


def committed_ids(checkpoint: SyncCheckpoint) -> set[str]:
    from ingestion.base import resume
    resumed = resume.Resumed(checkpoint.pk, checkpoint.started_at, checkpoint.updated_at,
                             checkpoint.position, checkpoint.batches, checkpoint.records,
                             checkpoint.history_id)
    return {i for chunk in resume.seen_chunks(resumed) for i in chunk}


# -- lists ------------------------------------------------------------------------------------

def upstream_members(api, list_id: str) -> set[str]:
    return {m["recordId"] for m in listing(api, f"/crm/v3/lists/{list_id}/memberships",
                                           {"limit": 250})}


def upstream_live_lists(api) -> set[str]:
    found = api.post("/crm/v3/lists/search", json={"count": 500}).json()["lists"]
    return {str(lst["listId"]) for lst in found}


@pytest.mark.parametrize("flags", [(), ("--force-overwrite",)], ids=["plain", "force"])
def test_lists_killed_mid_run_then_rerun_skips_committed_memberships(hubspot, api, flags):
    for n in range(LISTS):
        hubspot.control.list_create(f"resume {n}", record_ids=[900 + n * 10 + i
                                                               for i in range(10)],
                                    any_ids=True)
    before = requests_to(hubspot, "/memberships")
    run_command("sync_hubspot_lists", "--batch-size", BATCH, *flags)  # uninterrupted
    full_run = requests_to(hubspot, "/memberships") - before
    call_command("flush", "--no-input")

    checkpoint = kill_after(hubspot, child(hubspot, "sync_hubspot_lists", *flags), "lists",
                            "/crm/v3/lists", LISTS // 2)
    committed = committed_ids(checkpoint)
    deleted = sorted(committed)[0]
    hubspot.control.list_delete(deleted)  # between the attempts

    before = requests_to(hubspot, "/memberships")
    run = run_command("sync_hubspot_lists", "--batch-size", BATCH, *flags)
    resumed = requests_to(hubspot, "/memberships") - before

    assert "resumed the full read begun" in run.out
    assert resumed <= full_run - len(committed)  # none read again for a committed list
    assert not SyncCheckpoint.objects.exists()
    live = upstream_live_lists(api)
    assert set(HubSpotList.objects.filter(archived=False).values_list("pk", flat=True)) == live
    assert set(HubSpotList.objects.filter(archived=True).values_list("pk", flat=True)) == {
        deleted}
    for list_id in live:
        stored = set(HubSpotListMembership.objects.filter(list_id=list_id)
                     .values_list("record_id", flat=True))
        assert stored == upstream_members(api, list_id), list_id
        # the definition whole (search gives no filters: a committed list rewritten by a
        # resumed force overwrite is read by id)
        upstream = api.get(f"/crm/v3/lists/{list_id}", params={"includeFilters": "true"})
        assert HubSpotList.objects.get(pk=list_id).filters == \
            upstream.json()["list"].get("filterBranch"), list_id
    assert not HubSpotListMembership.objects.filter(list_id=deleted).exists()


# -- forms ------------------------------------------------------------------------------------

def upstream_submission_count(api, form_id: str) -> int:
    return len(listing(api, f"{SUBMISSIONS}/{form_id}", {"limit": 50}))


def test_forms_killed_mid_run_then_rerun_reads_fewer_submissions(hubspot, api):
    for n in range(FORMS):
        form = hubspot.control.form_create(f"resume {n}")
        for i in range(SUBMISSIONS_EACH):
            hubspot.control.form_add_submission(
                form["id"], {"email": f"f{n}-{i}@example.com"},
                submitted_at_ms=FIRST_MS + i * HOUR_MS)
    before = requests_to(hubspot, SUBMISSIONS)
    run_command("sync_hubspot_forms", "--batch-size", BATCH)  # an uninterrupted first run
    full_run = requests_to(hubspot, SUBMISSIONS) - before
    stored_everything = HubSpotFormSubmission.objects.count()
    call_command("flush", "--no-input")

    forms_total = len(api.get("/marketing/v3/forms/", params={"formTypes": "all"})
                      .json()["results"])
    checkpoint = kill_after(hubspot, child(hubspot, "sync_hubspot_forms"), "forms",
                            SUBMISSIONS, forms_total - 3)
    first_attempt = HubSpotFormSubmission.objects.count()

    before = requests_to(hubspot, SUBMISSIONS)
    run = run_command("sync_hubspot_forms", "--batch-size", BATCH)
    resumed = requests_to(hubspot, SUBMISSIONS) - before

    assert "resumed the full read begun" in run.out
    print(f"forms: full run {full_run} submissions requests, resumed {resumed}; "
          f"{checkpoint.records} forms committed, {first_attempt} submissions")
    assert resumed < full_run
    assert not SyncCheckpoint.objects.exists()
    assert HubSpotFormSubmission.objects.count() == stored_everything
    for form_id, raw in HubSpotForm.objects.values_list("pk", "raw"):
        if not keeps_submissions(raw):
            continue  # HubSpot keeps none for it (answers 400)
        assert HubSpotFormSubmission.objects.filter(form_id=form_id).count() == \
            upstream_submission_count(api, form_id), form_id
    # the sweep archived none that an attempt read (every form is still upstream)
    assert set(HubSpotForm.objects.filter(archived=False).values_list("pk", flat=True)) == {
        str(f["id"]) for f in api.get("/marketing/v3/forms/", params={"formTypes": "all"})
        .json()["results"]}
