"""Resume (issue 28) of the link refresh and of the marketing sources that page a listing
(engines/definitions.py `listed`), under real kills: `manage.py` in a subprocess, SIGKILLed
at a seeded random point of its read (once its checkpoint holds a random number of committed
records), then run again until a run completes.

- campaigns: a listed source continues at the cursor of the page after its last committed
  one; the sweep archives exactly what no attempt read (a campaign deleted upstream between
  the attempts), nothing an attempt read; the mirror then equals HubSpot's listing.
- the link refresh (`--links-only`) continues after the highest primary key of its last
  committed chunk; every stored live contact's links are then HubSpot's again."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from subprocesses import ROOT, current_database_url
from sync_commands import run_command
from upstream import listing, requests_by_path

from ingestion.base import resume
from ingestion.models import (
    HubSpotAssociation,
    HubSpotCampaign,
    HubSpotContact,
    SyncCheckpoint,
    SyncHistory,
)
from ingestion.sync.hubspot.links import checkpoint_name

from .test_resume import assert_exact, checkpoint_of

pytestmark = pytest.mark.django_db(transaction=True)

CAMPAIGNS = "/marketing/v3/campaigns"
NEW_CAMPAIGNS = 260  # with the portal's own: three pages of 100
ATTEMPTS_MAX = 8
# Where each kill lands: how many more records the attempt commits (the checkpoint counts
# every attempt's, a page read again too), drawn in bands: the first attempt is killed in its
# first page (the next one reads that page again), the second past it (the last one goes on
# at the cursor of the page after).
BANDS = [(5, 95), (110, 190)]
LINKED_CONTACTS = 4000  # four chunks of 1,000 ids a target type


def child(hubspot, command: str, *flags: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": current_database_url(),
           "HUBSPOT_MIRROR_ENV_FILE": "", "HUBSPOT_API_BASE_URL": hubspot.url,
           "HUBSPOT_ACCESS_TOKEN": hubspot.token, "HUBSPOT_API_VERSION": "legacy"}
    return subprocess.Popen([sys.executable, "manage.py", command, *flags], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_at(process: subprocess.Popen, name: str, records: int) -> bool:
    """SIGKILL the run once the checkpoint `name` holds `records` committed records; False
    if the run ended first (then it must have succeeded)."""
    deadline = time.monotonic() + 240
    while process.poll() is None:
        row = SyncCheckpoint.objects.filter(object_type=name).first()
        if row and row.records >= records:
            process.send_signal(signal.SIGKILL)
            break
        assert time.monotonic() < deadline, "the run did not get far enough in time"
        time.sleep(0.005)
    out, err = process.communicate(timeout=240)
    if process.returncode == 0:
        return False
    assert process.returncode == -signal.SIGKILL, (out, err)
    return True


def seen_by_attempts(name: str) -> set[str]:
    row = SyncCheckpoint.objects.filter(object_type=name).first()
    return set() if row is None else {
        i for chunk in resume.seen_chunks(checkpoint_of(row)) for i in chunk}


def listing_requests(hubspot) -> int:
    """Requests to the campaigns listing itself (not to one campaign's own paths)."""
    return requests_by_path(hubspot, lambda path: path == CAMPAIGNS)[CAMPAIGNS]


def upstream_campaigns(api) -> set[str]:
    return {c["id"] for c in listing(api, CAMPAIGNS, {"properties": "hs_name"})}


def test_campaigns_killed_at_random_points_resume_and_sweep_only_what_no_attempt_read(
        hubspot, api):
    hubspot.control.reset(contacts=10, seed=1, rate_limit="none")
    created = [hubspot.control.campaign(name=f"Campaign {n}")["id"]
               for n in range(NEW_CAMPAIGNS)]
    total = len(upstream_campaigns(api))
    run_command("sync_hubspot_campaigns")  # mirrored: each run is a full read (no sweep
    # without a mirror to sweep)
    hubspot.control.set_faults(rate=1.0, kinds=["slow"], seconds=0.01,
                               match={"path_prefix": CAMPAIGNS})
    rng = random.Random("issue28-campaigns")
    seen: set[str] = set()
    kills, gone, last_listed = [], None, 0
    try:
        for _attempt in range(ATTEMPTS_MAX):
            before = listing_requests(hubspot)
            process = child(hubspot, "sync_hubspot_campaigns", "--batch-size", "20")
            # A random point in each band of the read (the last attempt is let finish).
            done = SyncCheckpoint.objects.filter(object_type="campaigns").values_list(
                "records", flat=True).first() or 0
            target = (done + rng.randint(*BANDS[len(kills)])
                      if len(kills) < len(BANDS) else 10 ** 9)
            killed = kill_at(process, "campaigns", target)
            last_listed = listing_requests(hubspot) - before
            if not killed:
                break
            kills.append(target)
            seen |= seen_by_attempts("campaigns")
            if gone is None:  # deleted upstream between the attempts, read by none
                gone = next(i for i in reversed(created) if i not in seen)
                hubspot.control.campaign(gone, delete=True)
    finally:
        hubspot.control.clear_faults()
    print(f"kills at committed records {kills}; last run's listing requests {last_listed}")
    assert len(kills) == len(BANDS) and not SyncCheckpoint.objects.exists()
    history = SyncHistory.objects.filter(object_type="campaigns").latest("pk")
    assert history.status == "success"
    # The last run went on at the page after the last one committed (past the first page):
    # its probe and fewer pages than the listing holds.
    assert history.details["resumed"]["position"].get("next_page")
    assert last_listed <= 1 + -(-total // 100) - 1
    live = set(HubSpotCampaign.objects.filter(archived=False).values_list("pk", flat=True))
    swept = set(HubSpotCampaign.objects.filter(archived=True).values_list("pk", flat=True))
    assert live == upstream_campaigns(api)
    assert swept == {gone}  # what no attempt read and HubSpot no longer has
    assert not seen & swept


def test_link_refresh_killed_at_random_points_resumes_after_its_last_chunk(hubspot):
    hubspot.control.reset(contacts=LINKED_CONTACTS, seed=1, rate_limit="none")
    run_command("sync_hubspot_contacts", "--batch-size", "1000")
    links = set(HubSpotAssociation.objects.filter(from_object_type="contacts").values_list(
        "from_id", "to_object_type", "to_id"))
    assert links
    HubSpotAssociation.objects.filter(from_object_type="contacts").delete()
    name = checkpoint_name("contacts")
    hubspot.control.set_faults(rate=1.0, kinds=["slow"], seconds=0.2,
                               match={"path_prefix": "/crm/v4/associations/contacts"})
    rng = random.Random("issue28-links")
    kills = []
    try:
        for _attempt in range(ATTEMPTS_MAX):
            done = SyncCheckpoint.objects.filter(object_type=name).values_list(
                "records", flat=True).first() or 0
            target = (done + rng.randint(1, (LINKED_CONTACTS - done) // 2)
                      if len(kills) < 2 and done < LINKED_CONTACTS // 2 else 10 ** 9)
            process = child(hubspot, "sync_hubspot_contacts", "--links-only")
            if not kill_at(process, name, target):
                break
            kills.append(SyncCheckpoint.objects.get(object_type=name).records)
    finally:
        hubspot.control.clear_faults()
    print(f"kills after committed records {kills}")
    assert kills and not SyncCheckpoint.objects.exists()
    last = SyncHistory.objects.filter(object_type="contacts", mode="links").latest("pk")
    assert last.status == "success"
    resumed = last.details["resumed"]
    # It read the contacts after the last committed chunk only, from its highest key.
    live = HubSpotContact.objects.filter(archived=False).count()
    assert last.details["records"] == live - kills[-1]
    assert resumed["records"] == kills[-1] and "after_pk=" in resumed["from"]
    assert set(HubSpotAssociation.objects.filter(from_object_type="contacts").values_list(
        "from_id", "to_object_type", "to_id")) == links
    assert_exact()
