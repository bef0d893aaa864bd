"""Saving conversations from captured JSON (what HubSpot's listings answer, shapes from its
reference: docs/hubspot-api.md#conversations): typed columns, and a bad item failing alone by
its id while the rest of the batch is saved."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sync_commands import run_failing

from ingestion.models import HubSpotConversationMessage, HubSpotConversationThread, SyncError
from ingestion.sync.hubspot.engines import conversations
from ingestion.sync.hubspot.engines.conversations import (
    HubSpotConversationMessageSyncEngine,
    HubSpotConversationThreadSyncEngine,
    Unread,
)

THREAD = {"id": "8243595013", "inboxId": "1001", "status": "CLOSED", "spam": False,
          "associatedContactId": "151", "assignedTo": "A-8835724",
          "originalChannelId": "1002", "originalChannelAccountId": "779894945",
          "createdAt": "2024-10-21T11:14:00Z", "closedAt": "2024-10-22T09:00:00Z",
          "latestMessageTimestamp": "2024-10-21T11:20:28Z",
          "latestMessageSentTimestamp": "2024-10-21T11:20:28Z", "archived": False,
          "threadAssociations": {"associatedTicketId": "3301"}}
EMAIL = {"type": "MESSAGE", "id": "be066bfd-d0f2-43b1-8f5d-5de8a905f834",
         "conversationsThreadId": "8243595013", "createdAt": "2024-10-21T11:20:28Z",
         "updatedAt": "2024-10-21T11:20:29Z", "createdBy": "A-8835724",
         "client": {"clientType": "HUBSPOT"},
         "senders": [{"actorId": "A-8835724", "name": "Agent", "senderField": "FROM",
                      "deliveryIdentifier": {"type": "HS_EMAIL_ADDRESS", "value": "a@x.com"}}],
         "recipients": [{"recipientField": "TO", "deliveryIdentifier": {
             "type": "HS_EMAIL_ADDRESS", "value": "rk@example.com"}}],
         "archived": False, "text": "Thanks", "richText": "<p>Thanks</p>",
         "attachments": [{"type": "FILE", "fileId": "77", "name": "a.pdf", "url": "https://f"}],
         "subject": "Re: Test", "truncationStatus": "TRUNCATED_TO_MOST_RECENT_REPLY",
         "status": {"statusType": "SENT"}, "direction": "OUTGOING", "channelId": "1002",
         "channelAccountId": "779894945"}
ASSIGNMENT = {"id": "b2ebf776-723b-4523-bed5-6e304c865a01", "conversationsThreadId": "8243595013",
              "createdAt": "2024-10-21T11:15:12.063Z", "createdBy": "A-8835724",
              "client": {"clientType": "SYSTEM"}, "senders": [{"actorId": "S-hubspot"}],
              "recipients": [], "archived": False, "assignedTo": "A-8835724",
              "type": "ASSIGNMENT"}


def test_thread_when_transformed_then_typed_and_closing_time_is_its_modified_time():
    row, notes = HubSpotConversationThreadSyncEngine(client=None).transform(THREAD)
    assert notes == [] and row["id"] == "8243595013" and row["associated_ticket_id"] == "3301"
    assert row["latest_message_at"] == datetime(2024, 10, 21, 11, 20, 28, tzinfo=UTC)
    assert row["updated_at"] == row["closed_at"] == datetime(2024, 10, 22, 9, tzinfo=UTC)
    assert row["assigned_to"] == "A-8835724" and row["raw"] == THREAD


def test_messages_when_transformed_then_whole_text_actors_and_events_typed():
    engine = HubSpotConversationMessageSyncEngine(client=None)
    whole = {"text": "Thanks\n\n> the quoted reply", "richText": "<p>Thanks</p><blockquote/>"}
    row, _ = engine.transform(("8243595013", whole, EMAIL))
    assert row["id"] == f"8243595013:{EMAIL['id']}" and row["message_id"] == EMAIL["id"]
    assert row["text"] == whole["text"] and row["text_complete"] is True
    assert row["raw"]["text"] == "Thanks"  # the listing as sent
    assert row["sender_actor_id"] == "A-8835724" and row["recipients"] == EMAIL["recipients"]
    assert row["attachments"][0]["fileId"] == "77" and row["status_type"] == "SENT"
    assert row["updated_at"] > row["created_at"]
    kept, _ = engine.transform(("8243595013", {}, EMAIL))  # no original to be had
    assert kept["text"] == "Thanks" and kept["text_complete"] is False
    event, _ = engine.transform(("8243595013", None, ASSIGNMENT))
    assert event["type"] == "ASSIGNMENT" and event["text"] is None
    assert event["text_complete"] is None and event["client_type"] == "SYSTEM"


@pytest.mark.django_db(transaction=True)
def test_bad_threads_when_saved_then_each_fails_alone_rest_saved(hubspot, monkeypatch):
    def captured(self, since):
        yield [THREAD, {"status": "OPEN"}, "text",
               {"id": "9", "latestMessageTimestamp": "not a time"}]

    monkeypatch.setattr(HubSpotConversationThreadSyncEngine, "pages", captured)
    error, run = run_failing("sync_hubspot_conversation_threads")
    assert error.returncode == 3 and run["conversation_threads"]["failed"] == 3
    assert list(HubSpotConversationThread.objects.values_list("pk", flat=True)) == [THREAD["id"]]
    reasons = dict(SyncError.objects.values_list("object_id", "reason"))
    assert "9" in reasons and "" in reasons


@pytest.mark.django_db(transaction=True)
def test_bad_messages_when_saved_then_each_fails_alone_rest_saved(hubspot, monkeypatch):
    def captured(self, since):
        yield [("1", None, ASSIGNMENT), ("1", None, {"type": "MESSAGE", "text": "no id"}),
               ("1", None, {**ASSIGNMENT, "id": "late", "createdAt": "yesterday"}),
               ("2", Unread("messages could not be read: HTTP 500"), {}),
               ("1", Unread("original content could not be read: HTTP 500"), EMAIL)]

    monkeypatch.setattr(conversations.HubSpotConversationMessageSyncEngine, "pages", captured)
    error, run = run_failing("sync_hubspot_conversation_messages")
    assert error.returncode == 3 and run["conversation_messages"]["failed"] == 4
    assert list(HubSpotConversationMessage.objects.values_list("pk", flat=True)) == [
        f"1:{ASSIGNMENT['id']}"]
    reasons = dict(SyncError.objects.values_list("object_id", "reason"))
    assert set(reasons) == {"thread 1", "1:late", "thread 2", f"1:{EMAIL['id']}"}
    assert "original content" in reasons[f"1:{EMAIL['id']}"]
