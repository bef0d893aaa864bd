"""The layer's marketing tables against the mirror they read, on both databases: contact lists
and members (contact lists only, deleted ones flagged), forms and submissions tied to their
contacts by email, email campaigns, email events and their per-type tables, subscriptions."""

from __future__ import annotations

import json

import pytest
from sync_commands import run_command

from ingestion.models import (
    HubSpotContact,
    HubSpotEmailCampaign,
    HubSpotEmailEvent,
    HubSpotForm,
    HubSpotFormSubmission,
    HubSpotList,
    HubSpotListMembership,
    HubSpotSubscriptionChange,
    HubSpotSubscriptionType,
)
from ingestion.sync.hubspot.fivetran.marketing import EVENT_TYPES

from .test_layer_build import layer_rows

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]


def build_layer() -> None:
    run_command("build_hubspot_views", "--layout", "fivetran")


@pytest.fixture
def lists_and_forms(hubspot):
    run_command("sync_hubspot_contacts", "--skip-associations")
    return hubspot


def test_contact_list_when_built_then_contact_lists_only_with_their_members(lists_and_forms):
    contacts = list(HubSpotContact.objects.order_by("id").values_list("id", flat=True)[:2])
    companies = lists_and_forms.control.list_create("Key accounts", "0-2",
                                                   record_ids=["20000000001"])
    deleted = lists_and_forms.control.list_create("Old campaign", record_ids=contacts)
    run_command("sync_hubspot_lists")
    lists_and_forms.control.list_delete(deleted["listId"])  # after the mirror has read it
    run_command("sync_hubspot_lists")
    build_layer()

    contact_lists = HubSpotList.objects.filter(object_type_id="0-1")
    rows = layer_rows("contact_list", ["id", "name", "processing_type", "list_version",
                                       "_fivetran_deleted", "object_type_id"])
    assert len(rows) == contact_lists.count() >= 2
    assert int(companies["listId"]) not in {row[0] for row in rows}
    one = contact_lists.filter(archived=False).order_by("id").first()
    assert (int(one.id), one.name, one.processing_type, one.list_version, False, "0-1") in rows
    assert HubSpotList.objects.get(pk=deleted["listId"]).archived
    assert [bool(r[4]) for r in rows if r[0] == int(deleted["listId"])] == [True]

    members = layer_rows("contact_list_member", ["contact_list_id", "contact_id", "added_at",
                                                 "_fivetran_deleted"])
    stored = HubSpotListMembership.objects.filter(object_type_id="0-1")
    assert members and len(members) == stored.count()
    assert int(companies["listId"]) not in {row[0] for row in members}
    member = stored.order_by("list_id", "record_id").first()
    assert (int(member.list_id), int(member.record_id)) in {row[:2] for row in members}
    assert all(isinstance(r[0], int) and isinstance(r[1], int) and not r[3] for r in members)


def test_forms_when_built_then_every_form_and_submission_tied_to_its_contact(lists_and_forms):
    contact = HubSpotContact.objects.exclude(email=None).filter(archived=False).order_by(
        "id").first()
    form = lists_and_forms.control.form_create("Demo request")
    lists_and_forms.control.form_add_submission(
        form["id"], {"email": f"  {contact.email.upper()} ", "firstname": "Ann"},
        page_url="https://www.example.com/demo", submitted_at_ms=1_767_225_600_000,
        conversion_id="c0ffee00-0000-4000-8000-000000000001")
    lists_and_forms.control.form_add_submission(
        form["id"], {"email": "nobody@nowhere.example"}, submitted_at_ms=1_767_225_700_000)
    run_command("sync_hubspot_forms")
    build_layer()

    forms = layer_rows("form", ["guid", "name", "form_type", "submit_text",
                                "_fivetran_deleted", "action"])
    assert len(forms) == HubSpotForm.objects.count()
    by_guid = {row[0]: row for row in forms}
    assert by_guid[form["id"]][1:] == ("Demo request", "hubspot", "Submit", False, None)
    archived = HubSpotForm.objects.filter(archived=True)
    assert archived and all(bool(by_guid[f.id][4]) for f in archived)

    submissions = layer_rows("contact_form_submission", [
        "form_id", "contact_id", "conversion_id", "page_url", "title", "page_id"],
        "ORDER BY timestamp")
    assert len(submissions) == HubSpotFormSubmission.objects.count()
    ours = [row for row in submissions if row[0] == form["id"]]
    assert ours == [
        (form["id"], int(contact.id), "c0ffee00-0000-4000-8000-000000000001",
         "https://www.example.com/demo", "Demo request", None),
        (form["id"], None, ours[1][2], "https://www.example.com/", "Demo request", None)]
    seeded = [row for row in submissions if row[0] != form["id"]]
    assert seeded and all(isinstance(row[1], int) for row in seeded if row[1] is not None)


@pytest.fixture
def emails(hubspot):
    for source in ("email_campaigns", "email_events", "subscription_types",
                   "subscription_changes"):
        run_command(f"sync_hubspot_{source}")
    build_layer()
    return hubspot


def test_email_campaign_when_built_then_the_campaigns_events_name(emails):
    campaign = HubSpotEmailCampaign.objects.order_by("id").first()
    rows = layer_rows("email_campaign", ["id", "app_id", "app_name", "content_id", "name",
                                         "subject", "type", "sub_type", "num_included"])
    assert len(rows) == HubSpotEmailCampaign.objects.count()
    assert (int(campaign.id), campaign.app_id, campaign.app_name, campaign.content_id,
            campaign.name, campaign.subject, campaign.type, campaign.sub_type,
            campaign.num_included) in rows
    named = {row[0] for row in layer_rows("email_event", ["email_campaign_id"])}
    assert named <= {row[0] for row in rows}


def test_email_events_when_built_then_each_type_in_its_table_with_its_fields(emails):
    events = layer_rows("email_event", ["id", "type", "recipient", "email_campaign_id",
                                        "portal_id", "sent_by_id", "created"])
    assert len(events) == HubSpotEmailEvent.objects.count() > 0
    for table, (kind, _) in EVENT_TYPES.items():
        ids = {row[0] for row in layer_rows(table, ["id"])}
        assert ids == set(HubSpotEmailEvent.objects.filter(event_type=kind).values_list(
            "event_id", flat=True)), table
        assert ids, table  # the emulator's portal has every type

    sent = HubSpotEmailEvent.objects.filter(event_type="SENT").order_by("id").first()
    [row] = layer_rows("email_event_sent", ["subject", "from", "reply_to", "cc"],
                       f"WHERE id = '{sent.event_id}'")
    assert row[:2] == (sent.raw["subject"], sent.raw["from"])
    assert json.loads(row[2]) == sent.raw["replyTo"] and json.loads(row[3]) == sent.raw["cc"]
    opened = HubSpotEmailEvent.objects.filter(event_type="OPEN").order_by("id").first()
    [(browser, duration, agent)] = layer_rows(
        "email_event_open", ["browser", "duration", "user_agent"],
        f"WHERE id = '{opened.event_id}'")
    assert json.loads(browser) == opened.raw["browser"]
    assert (duration, agent) == (str(opened.raw["duration"]), opened.raw["userAgent"])
    change = HubSpotEmailEvent.objects.filter(event_type="STATUSCHANGE").order_by("id").first()
    [(bounced, status, subscriptions)] = layer_rows(
        "email_event_status_change", ["bounced", "portal_subscription_status",
                                      "subscriptions"], f"WHERE id = '{change.event_id}'")
    assert (bool(bounced), status) == (change.raw["bounced"], change.subscription_status)
    assert json.loads(subscriptions) == change.raw["subscriptions"]

    [event] = [row for row in events if row[0] == sent.event_id]
    assert event[1:6] == ("SENT", sent.recipient, sent.email_campaign_id, sent.portal_id, None)
    delivered = HubSpotEmailEvent.objects.filter(event_type="DELIVERED").exclude(
        sent_by_id=None).order_by("id").first()
    [(sent_by,)] = layer_rows("email_event", ["sent_by_id"],
                              f"WHERE id = '{delivered.event_id}'")
    assert sent_by == delivered.sent_by_id


def test_email_subscriptions_when_built_then_types_and_changes(emails):
    kinds = layer_rows("email_subscription", ["id", "name", "active"])
    assert len(kinds) == HubSpotSubscriptionType.objects.count() > 0
    one = HubSpotSubscriptionType.objects.order_by("id").first()
    assert (int(one.id), one.name) in {row[:2] for row in kinds}
    changes = layer_rows("email_subscription_change", ["recipient", "email_subscription_id",
                                                       "change", "timestamp"])
    assert len(changes) == HubSpotSubscriptionChange.objects.count() > 0
    change = HubSpotSubscriptionChange.objects.order_by("id").first()
    assert (change.recipient, change.subscription_id, change.change) in {
        row[:3] for row in changes}
