"""Journal events as the rows the webhook events' applier takes (captured JSON, no HTTP), and
each batch stored with its offset in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from ingestion.models import JournalState, WebhookEvent
from ingestion.sync.hubspot.changes import OffsetMoved, _store
from ingestion.sync.hubspot.event_store import UnusableEvent
from ingestion.sync.hubspot.events import plan_events
from ingestion.sync.hubspot.journal import Chunk, journal_event_row, place_key, settled_row

AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
BASE = {"eventId": 5, "portalId": 62515, "occurredAt": 1_700_000_000_000,
        "objectTypeId": "0-1", "objectId": 101, "changeSource": "API"}


def row(**fields) -> WebhookEvent:
    return journal_event_row({**BASE, **fields}, AT)


@pytest.mark.parametrize(("action", "kind"), [
    ("CREATE", "creation"), ("UPDATE", "propertyChange"), ("DELETE", "deletion"),
    ("RESTORE", "restore"), ("GDPR_DELETE", "privacyDeletion"), ("SNAPSHOT", "creation")])
def test_row_when_record_action_then_webhook_kind_of_the_type(action, kind):
    made = row(action=action, propertyChanges={"email": "a@b.c"})
    assert (made.subscription_type, made.object_type, made.object_id) == (
        f"journal.{kind}", "contacts", "101")
    assert made.portal_id == 62515 and made.occurred_at == 1_700_000_000_000
    assert "propertyChanges" not in made.detail and "a@b.c" not in str(made.detail)


def test_row_when_association_added_then_both_ends_planned_for_link_refresh():
    made = row(action="ASSOCIATION_ADDED", associatedObjectTypeId="0-2",
               associatedObjectId=202, associationTypeId=1)
    made.pk = 1
    plan = plan_events([made])
    assert plan.links == {"contacts": {"101": {1}}, "companies": {"202": {1}}}
    assert not plan.reread


def test_row_when_merge_then_every_id_named_is_reread():
    made = row(action="MERGE", objectId=101, primaryObjectId=101, mergedObjectIds=[99],
               newObjectId=103)
    made.pk = 7
    assert plan_events([made]).reread == {"contacts": {"101": {7}, "103": {7}, "99": {7}}}


def test_row_when_list_membership_then_the_list_is_planned_not_the_record():
    made = row(action="REMOVED_FROM_LIST", listId=12)
    made.pk = 3
    plan = plan_events([made])
    assert plan.lists == {"12": {3}} and not plan.reread and not plan.links


def test_row_when_time_is_iso_text_then_epoch_ms():
    assert row(action="UPDATE", occurredAt="2023-11-14T22:13:20Z").occurred_at == \
        1_700_000_000_000


@pytest.mark.parametrize(("event", "reason"), [
    ([], "not a JSON object"),
    ({**BASE, "action": "TELEPORT"}, "unknown action"),
    ({**BASE, "action": "UPDATE", "objectTypeId": None}, "no objectTypeId"),
    ({**BASE, "action": "UPDATE", "objectId": "abc"}, "objectId"),
    ({**BASE, "action": "ADDED_TO_LIST"}, "listId"),
    ({**BASE, "action": "UPDATE", "occurredAt": "yesterday"}, "occurredAt"),
])
def test_row_when_event_unusable_then_says_why(event, reason):
    with pytest.raises(UnusableEvent, match=reason):
        journal_event_row(event, AT)


def test_place_key_when_same_place_then_same_key_and_fits_63_bits():
    assert place_key("a", 0) == place_key("a", 0) != place_key("a", 1)
    assert 0 <= place_key("550e8400-e29b-41d4-a716-446655440000", 99) < 2**63


def chunk(previous: str, offset: str, *events: dict) -> Chunk:
    rows = []
    for index, event in enumerate(events):
        made = journal_event_row(event, AT)
        made.source, made.event_id = WebhookEvent.JOURNAL, place_key(offset, index)
        rows.append(made)
    return Chunk(rows, previous, offset, AT, entries=1)


@pytest.mark.django_db(transaction=True)
def test_store_when_batch_stored_then_events_and_offset_move_together():
    JournalState.objects.create(key="local")
    _store(chunk("", "o1", {**BASE, "action": "UPDATE"}, {**BASE, "action": "DELETE"}))
    state = JournalState.objects.get()
    assert (state.offset, state.entries_read, state.events_stored) == ("o1", 1, 2)
    assert WebhookEvent.objects.filter(source="journal", applied_at=None).count() == 2


@pytest.mark.django_db(transaction=True)
def test_store_when_offset_moved_meanwhile_then_nothing_of_the_batch_is_stored():
    JournalState.objects.create(key="local", offset="o9")
    with pytest.raises(OffsetMoved):
        _store(chunk("o1", "o2", {**BASE, "action": "UPDATE"}))
    assert JournalState.objects.get().offset == "o9"
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_store_when_a_row_is_refused_then_recorded_settled_and_the_rest_stored():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite stores text of any length: nothing to refuse")
    JournalState.objects.create(key="local")
    batch = chunk("", "o1", {**BASE, "action": "UPDATE"}, {**BASE, "action": "UPDATE"})
    batch.rows[1].object_id = "x" * 200  # longer than the column: the database refuses it
    _store(batch)
    kept = {e.event_id: e for e in WebhookEvent.objects.all()}
    assert len(kept) == 2 and JournalState.objects.get().offset == "o1"
    refused = kept[batch.rows[1].event_id]
    assert refused.source == "journal" and refused.applied_at is not None
    assert refused.error.startswith("not stored")


def test_settled_row_when_unusable_then_applied_with_reason():
    made = settled_row("unknown action 'X'", AT)
    assert made.applied_at == AT and made.error == "not applied: unknown action 'X'"
