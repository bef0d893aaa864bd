"""Resume (issue 28) of the marketing sources read by the mirror's own rows (sources.py
`ByParent`), under real kills: `manage.py` in a subprocess, SIGKILLed at a seeded random
point of its read (once its checkpoint holds a random number of committed records), then run
again until a run completes.

- deal splits (a request per 100 live deals, walked in deal id order) and conversation
  messages (a read per thread) continue after the last parent whose reads committed: the
  completing run makes fewer requests than a full read (its own counters), the sweep
  archives exactly what no attempt read and HubSpot no longer has (nothing an attempt read),
  and the rows then equal the emulator's."""

from __future__ import annotations

import random
import re

import pytest
from sync_commands import run_command
from upstream import listing

from ingestion.models import (
    HubSpotConversationMessage,
    HubSpotDeal,
    HubSpotDealSplit,
    SyncCheckpoint,
    SyncHistory,
)
from ingestion.sync.hubspot.engines.sources import AFTER_KEY

from .test_resume_sources_links import ATTEMPTS_MAX, child, kill_at, seen_by_attempts

pytestmark = pytest.mark.django_db(transaction=True)

SPLITS_READ = "/crm/v3/objects/deals/splits/batch/read"
SPLITS_UPSERT = "/crm/v3/objects/deals/splits/batch/upsert"
CONVERSATIONS = "/conversations/v3/conversations"
DEALS_PER_REQUEST = 100
# Where each kill lands, as shares of the records a whole read commits: the first attempt
# early, the second past the middle; the third is let finish.
BANDS = [(0.15, 0.35), (0.5, 0.7)]


def killed_then_finished(hubspot, name: str, command: str, total: int, seed: str,
                         between, *flags: str) -> tuple[list[int], set[str]]:
    """Run `command` in a child, SIGKILLed at a random point of each band, then once more to
    the end; `between(n)` runs after the n-th kill (changes HubSpot …). The committed records
    at each kill, and the ids the killed attempts read."""
    rng = random.Random(seed)
    kills: list[int] = []
    seen: set[str] = set()
    for _attempt in range(ATTEMPTS_MAX):
        band = BANDS[len(kills)] if len(kills) < len(BANDS) else None
        target = int(total * rng.uniform(*band)) if band else 10 ** 9
        if not kill_at(child(hubspot, command, *flags), name, max(target, 1)):
            break
        kills.append(SyncCheckpoint.objects.get(object_type=name).records)
        seen |= seen_by_attempts(name)
        between(len(kills))
    return kills, seen


def last_run(name: str) -> SyncHistory:
    run = SyncHistory.objects.filter(object_type=name).latest("pk")
    assert run.status == "success", run.details
    return run


def planned(command: str, name: str) -> list[int]:
    """`--plan`'s records and requests for the type."""
    out = run_command(command, "--plan").out
    line = next(line for line in out.splitlines() if line.startswith(f"plan: {name} "))
    return [int(re.search(rf"{field}=(\d+)", line)[1]) for field in ("records", "requests")]


def read_before(key: str, name: str, keys: list[str]) -> bool:
    """Whether the checkpoint's last committed parent comes before `key` (in `keys`' order:
    the database's)."""
    return keys.index(SyncCheckpoint.objects.get(object_type=name).position[AFTER_KEY]) \
        < keys.index(key)


# -- deal splits ------------------------------------------------------------------------------

def upstream_splits(api, deal_ids: list[str]) -> dict[str, str]:
    """Every split HubSpot has for these deals: split id → its deal."""
    out = {}
    for start in range(0, len(deal_ids), DEALS_PER_REQUEST):
        chunk = deal_ids[start:start + DEALS_PER_REQUEST]
        reply = api.post(SPLITS_READ, json={"inputs": [{"id": i} for i in chunk]}).json()
        out |= {s["id"]: d["id"] for d in reply["results"] for s in d["splits"]}
    return out


def split_evenly(api, deal_ids: list[str], owners: list[str]) -> None:
    for start in range(0, len(deal_ids), DEALS_PER_REQUEST):
        inputs = [{"id": d, "splits": [{"ownerId": o, "percentage": 1 / len(owners)}
                                       for o in owners]}
                  for d in deal_ids[start:start + DEALS_PER_REQUEST]]
        api.post(SPLITS_UPSERT, json={"inputs": inputs}).raise_for_status()


def test_deal_splits_killed_at_random_points_resume_after_the_last_committed_deals(
        hubspot, api):
    hubspot.control.reset(contacts=2500, seed=1, rate_limit="none")
    run_command("sync_hubspot_deals", "--skip-associations")
    deals = list(HubSpotDeal.objects.filter(archived=False).order_by("pk")
                 .values_list("pk", flat=True))
    run_command("sync_hubspot_deal_splits")  # the seeded splits: a whole read
    full_requests = last_run("deal_splits").details["requests"]
    seeded = set(HubSpotDealSplit.objects.values_list("pk", flat=True))
    owners = sorted(set(HubSpotDealSplit.objects.values_list("owner_id", flat=True)))[:2]
    split_evenly(api, deals, owners)  # every split replaced: the seeded ones are gone
    total = 2 * len(deals)
    assert len(deals) > 5 * DEALS_PER_REQUEST and len(upstream_splits(api, deals)) == total

    plan: list[int] = []

    def between_attempts(kill: int) -> None:
        if kill == 1:  # a deal no attempt has read yet gets new splits
            assert read_before(deals[-1], "deal_splits", deals)
            split_evenly(api, [deals[-1]], owners[:1])
        else:  # the plan of the resumed read: the deals after the last committed batch
            plan.extend(planned("sync_hubspot_deal_splits", "deal_splits"))

    hubspot.control.set_faults(rate=1.0, kinds=["slow"], seconds=0.2,
                               match={"path_prefix": SPLITS_READ})
    try:
        kills, seen = killed_then_finished(
            hubspot, "deal_splits", "sync_hubspot_deal_splits", total, "issue28-deal-splits",
            between_attempts, "--batch-size", "40")
    finally:
        hubspot.control.clear_faults()
    print(f"kills at committed records {kills}")
    assert len(kills) == len(BANDS) and not SyncCheckpoint.objects.exists()
    run = last_run("deal_splits")
    assert run.details["resumed"]["position"][AFTER_KEY] in deals
    assert "after_key=" in run.details["resumed"]["from"]
    assert run.details["requests"] < full_requests  # only the deals after the last batch
    left = deals[deals.index(run.details["resumed"]["position"][AFTER_KEY]) + 1:]
    assert plan == [len(left), 1 + -(-len(left) // DEALS_PER_REQUEST)]  # and the probe
    assert run.details["requests"] == plan[1]
    live = dict(HubSpotDealSplit.objects.filter(archived=False).values_list("pk", "deal_id"))
    swept = set(HubSpotDealSplit.objects.filter(archived=True).values_list("pk", flat=True))
    assert live == upstream_splits(api, deals)
    assert swept == seeded  # replaced upstream before any attempt read them
    assert not seen & swept


# -- conversation messages ----------------------------------------------------------------------

def upstream_messages(api, thread_ids: list[str]) -> set[str]:
    return {f"{t}:{m['id']}" for t in thread_ids
            for m in listing(api, f"{CONVERSATIONS}/threads/{t}/messages")}


def test_conversation_messages_killed_at_random_points_resume_after_the_last_thread(
        hubspot, api):
    hubspot.control.reset(contacts=50, seed=1, rate_limit="none")
    run_command("sync_hubspot_conversation_threads")
    run_command("sync_hubspot_conversation_messages")  # a whole read
    full_requests = last_run("conversation_messages").details["requests"]
    threads = list(HubSpotConversationMessage.objects.order_by("thread_id")
                   .values_list("thread_id", flat=True).distinct())
    total = HubSpotConversationMessage.objects.count()
    gone: list[str] = []

    def delete_one_unread(kill: int) -> None:  # a thread no attempt read is deleted upstream
        if kill > 1:
            return
        gone.append(threads[-1])
        assert read_before(gone[0], "conversation_messages", threads)
        hubspot.control.conversation_thread(gone[0], delete=True)

    hubspot.control.set_faults(rate=1.0, kinds=["slow"], seconds=0.1,
                               match={"path_prefix": f"{CONVERSATIONS}/threads/"})
    try:
        kills, seen = killed_then_finished(
            hubspot, "conversation_messages", "sync_hubspot_conversation_messages", total,
            "issue28-messages", delete_one_unread, "--full", "--batch-size", "3")
    finally:
        hubspot.control.clear_faults()
    print(f"kills at committed records {kills}")
    assert len(kills) == len(BANDS) and not SyncCheckpoint.objects.exists()
    run = last_run("conversation_messages")
    assert run.details["resumed"]["position"][AFTER_KEY] in threads
    assert run.details["requests"] < full_requests  # only the threads after the last one
    live = set(HubSpotConversationMessage.objects.filter(archived=False)
               .values_list("pk", flat=True))
    swept = set(HubSpotConversationMessage.objects.filter(archived=True)
                .values_list("pk", flat=True))
    assert live == upstream_messages(api, [t for t in threads if t not in gone])
    assert swept == {m for m in live | swept if m.startswith(f"{gone[0]}:")} and swept
    assert not seen & swept
