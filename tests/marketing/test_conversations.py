"""The conversations sources (engines/conversations.py) end to end against the emulator:
inboxes, channels, channel accounts, threads read incrementally by their latest message, and
the messages of exactly the threads that changed (docs/modes.md#conversations)."""

from __future__ import annotations

import pytest
from django.db import connection
from sync_commands import run_command, run_failing
from upstream import listing

from ingestion.models import (
    HubSpotConversationChannel,
    HubSpotConversationChannelAccount,
    HubSpotConversationInbox,
    HubSpotConversationMessage,
    HubSpotConversationThread,
    SyncError,
    SyncHistory,
)
from ingestion.sync.hubspot.timeparse import parse_hubspot_datetime

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

API = "/conversations/v3/conversations"
SOURCES = ("conversation_inboxes", "conversation_channels", "conversation_channel_accounts",
           "conversation_threads", "conversation_messages")


def sync(name: str, *flags: str) -> dict[str, int]:
    return run_command(f"sync_hubspot_{name}", *flags)[name]


def upstream_threads(api) -> list[dict]:
    return [*listing(api, f"{API}/threads", {"archived": "false"}),
            *listing(api, f"{API}/threads", {"archived": "true"})]


def upstream_messages(api, thread_id: str) -> list[dict]:
    return listing(api, f"{API}/threads/{thread_id}/messages")


@pytest.mark.usefixtures("api_family")
def test_first_runs_when_synced_then_every_item_stored_typed(hubspot, api):
    counts = {name: sync(name) for name in SOURCES}
    threads = upstream_threads(api)
    inboxes = HubSpotConversationInbox.objects
    assert counts["conversation_inboxes"]["created"] == inboxes.count() == 3
    assert HubSpotConversationChannel.objects.count() == 4
    accounts = HubSpotConversationChannelAccount.objects
    assert accounts.count() == 4 and accounts.get(pk="5004").archived
    assert accounts.get(pk="5002").delivery_identifier_value == "support@example.com"
    assert counts["conversation_threads"]["created"] == len(threads) == 24
    stored = HubSpotConversationThread.objects
    assert stored.filter(archived=True).count() == sum(t["archived"] for t in threads) > 0
    first = stored.get(pk="7000000001")
    assert first.associated_contact_id and first.status == "CLOSED" and first.closed_at
    assert first.updated_at == first.closed_at > first.latest_message_at
    assert stored.get(pk="7000000002").associated_ticket_id == "9001"
    expected = sum(len(upstream_messages(api, t["id"])) for t in threads)
    assert counts["conversation_messages"]["created"] == expected
    assert HubSpotConversationMessage.objects.count() == expected
    assert set(HubSpotConversationMessage.objects.values_list("type", flat=True)) == {
        "MESSAGE", "COMMENT", "WELCOME_MESSAGE", "ASSIGNMENT"}
    assert all(SyncHistory.objects.filter(object_type=n, status="success") for n in SOURCES)


def test_truncated_message_when_synced_then_whole_text_from_original_content(hubspot, api):
    sync("conversation_threads")
    sync("conversation_messages")
    cut = HubSpotConversationMessage.objects.filter(
        truncation_status="TRUNCATED_TO_MOST_RECENT_REPLY").first()
    listed = next(m for m in upstream_messages(api, cut.thread_id) if m["id"] == cut.message_id)
    assert cut.text_complete is True and cut.text.startswith(listed["text"])
    assert len(cut.text) > len(listed["text"]) and cut.raw["text"] == listed["text"]
    whole = HubSpotConversationMessage.objects.filter(truncation_status="NOT_TRUNCATED")
    assert whole.exists() and not whole.filter(text_complete=False).exists()


def test_new_message_in_old_thread_when_incremental_then_only_it_is_read(hubspot, api):
    sync("conversation_threads")
    sync("conversation_messages")
    before = HubSpotConversationMessage.objects.count()
    old = HubSpotConversationThread.objects.order_by("latest_message_at").first()
    newest = HubSpotConversationThread.objects.order_by("-latest_message_at").first()
    at_ms = int(newest.latest_message_at.timestamp() * 1000) + 3_600_000
    made = hubspot.control.conversation_message(old.pk, "A late question", createdAt=at_ms)
    threads = sync("conversation_threads")
    assert threads["updated"] == 1 and threads["fetched"] < 24  # only recent threads listed
    assert HubSpotConversationThread.objects.get(pk=old.pk).latest_message_at == \
        parse_hubspot_datetime(made["createdAt"])
    messages = sync("conversation_messages")
    assert messages["created"] == 1 and messages["fetched"] < before  # changed threads only
    assert HubSpotConversationMessage.objects.count() == before + 1
    new = HubSpotConversationMessage.objects.get(message_id=made["id"])
    assert new.pk == f"{old.pk}:{made['id']}" and new.text == "A late question"
    again = sync("conversation_messages")  # within the lookback: read again, nothing doubled
    assert again["created"] == 0 and HubSpotConversationMessage.objects.count() == before + 1


def test_thread_listing_paged_when_small_pages_then_same_rows(hubspot, monkeypatch):
    from ingestion.sync.hubspot.engines import conversations

    monkeypatch.setattr(conversations, "CONVERSATIONS_PAGE", 5)
    assert sync("conversation_threads")["created"] == 24
    assert sync("conversation_messages")["failed"] == 0
    assert sync("conversation_inboxes")["created"] == 3


def test_thread_deleted_upstream_when_full_runs_then_it_and_its_messages_archived(hubspot):
    sync("conversation_threads")
    sync("conversation_messages")
    gone = HubSpotConversationMessage.objects.filter(thread_id="7000000003").count()
    hubspot.control.conversation_thread("7000000003", delete=True)
    assert sync("conversation_threads", "--full")["archived"] == 1
    assert sync("conversation_messages", "--full")["archived"] == gone > 0
    assert not HubSpotConversationMessage.objects.filter(thread_id="7000000003",
                                                         archived=False).exists()


def test_messages_of_one_thread_unreadable_when_synced_then_it_fails_alone_and_read_next(
        hubspot):
    sync("conversation_threads")
    hubspot.control.set_faults(script=[{"kind": "500"}] * 3,  # every attempt
                               match={"path_prefix": f"{API}/threads/7000000004/messages"})
    error, run = run_failing("sync_hubspot_conversation_messages")
    assert error.returncode == 3 and run["conversation_messages"]["failed"] == 1
    failure = SyncError.objects.get(object_type="conversation_messages")
    assert failure.object_id == "thread 7000000004" and "could not be read" in failure.reason
    assert not HubSpotConversationMessage.objects.filter(thread_id="7000000004").exists()
    assert HubSpotConversationMessage.objects.exclude(thread_id="7000000004").exists()
    assert sync("conversation_messages")["failed"] == 0  # not yet complete: read again
    assert HubSpotConversationMessage.objects.filter(thread_id="7000000004").exists()


def test_force_overwrite_when_nothing_changed_then_everything_read_and_replaced(hubspot):
    first = {name: sync(name) for name in ("conversation_threads", "conversation_messages",
                                           "conversation_channel_accounts")}
    accounts = sync("conversation_channel_accounts")  # no modified time: compared by content
    assert accounts["skipped"] == 4 and accounts["updated"] == 0
    assert sync("conversation_channel_accounts", "--force-overwrite")["overwritten"] == 4
    threads = sync("conversation_threads", "--force-overwrite")
    assert threads["overwritten"] == first["conversation_threads"]["created"] == 24
    messages = sync("conversation_messages", "--force-overwrite")
    assert messages["overwritten"] == first["conversation_messages"]["created"]


def test_dry_run_when_synced_then_would_be_counts_and_nothing_written(hubspot):
    assert sync("conversation_threads", "--dry-run")["created"] == 24
    assert not HubSpotConversationThread.objects.exists()


@pytest.mark.parametrize("name", SOURCES)
def test_scope_missing_when_synced_then_skipped_no_access(hubspot, name):
    hubspot.control.deny_scopes(["conversations.read"])
    error, _ = run_failing(f"sync_hubspot_{name}")
    assert error.returncode == 77 and "no access" in str(error)
    assert not SyncHistory.objects.exists()


def test_typed_views_when_synced_then_columns_typed_without_raw(hubspot):
    sync("conversation_threads")
    sync("conversation_messages")
    run_command("build_hubspot_views")
    with connection.cursor() as cursor:
        cursor.execute("SELECT m.type, m.created_at, t.associated_contact_id "
                       "FROM hubspot_conversation_message_v m JOIN "
                       "hubspot_conversation_thread_v t ON t.id = m.thread_id "
                       "WHERE m.type = 'COMMENT'")
        rows = cursor.fetchall()
        described = [c.name for c in connection.introspection.get_table_description(
            cursor, "hubspot_conversation_message_v")]
    assert len(rows) == HubSpotConversationMessage.objects.filter(type="COMMENT").count() > 0
    assert "raw" not in described and "text_complete" in described


def test_counted_sources_when_verified_then_exact(hubspot):
    sync("conversation_inboxes")
    sync("conversation_channel_accounts")
    run = run_command("verify_hubspot", "--types",
                      "conversation_inboxes,conversation_channel_accounts")
    rows = [line.split() for line in run.out.splitlines() if line.startswith("conversation_")]
    assert [row[1:5] for row in rows] == [["2", "2", "0", "0"], ["3", "3", "0", "0"]]
