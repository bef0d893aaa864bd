"""The seed's flag matrix for every CRM object type (and a custom object type), end to end:
thin command → engine → emulator over HTTP → database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from django.db import models
from sync_commands import run_command

from ingestion.models import (
    HubSpotAppointment,
    HubSpotAssociation,
    HubSpotCall,
    HubSpotCart,
    HubSpotCommercePayment,
    HubSpotCommunication,
    HubSpotCompany,
    HubSpotCourse,
    HubSpotCustomObject,
    HubSpotDeal,
    HubSpotDiscount,
    HubSpotEmail,
    HubSpotFee,
    HubSpotFeedbackSubmission,
    HubSpotGoalTarget,
    HubSpotInvoice,
    HubSpotLead,
    HubSpotLineItem,
    HubSpotListing,
    HubSpotMeeting,
    HubSpotNote,
    HubSpotOrder,
    HubSpotPostalMail,
    HubSpotProduct,
    HubSpotProject,
    HubSpotQuote,
    HubSpotService,
    HubSpotSubscription,
    HubSpotTask,
    HubSpotTax,
    HubSpotTicket,
    HubSpotUser,
    SyncHistory,
)
from ingestion.sync.hubspot.connection import client_from_settings
from ingestion.sync.hubspot.engines.registry import BY_NAME

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]


@pytest.fixture(autouse=True)
def _family_by_kind(request, settings, hubspot):
    """Each kind runs on one of HubSpot's two path families, alternating down the list, so
    both families meet every test and every engine shape without running the matrix twice
    (paths.py builds every type's paths the same way)."""
    kind = request.node.callspec.params["kind"]
    families = ("legacy", "2026-09")
    settings.HUBSPOT_API_VERSION = families[[k.name for k in KINDS].index(kind.name) % 2]

PETS = "2-3508482"  # the emulator's default custom object type


@dataclass(frozen=True)
class Kind:
    object_type: str  # HubSpot's name (for the emulator and the client)
    model: type[models.Model]
    column: str  # a core property with a typed column (custom objects: a raw property)
    command: str = ""
    summary: str = ""  # the name the summary line starts with
    custom: bool = False
    raw: bool = False  # no typed column for `column`: read it from `properties`

    @property
    def cmd(self) -> str:
        return self.command or f"sync_hubspot_{self.object_type}"

    @property
    def name(self) -> str:
        return self.summary or self.object_type

    def pk(self, record_id: str) -> str:
        return f"{PETS}:{record_id}" if self.custom else record_id

    def rows(self) -> models.QuerySet:
        rows = self.model.objects.all()
        return rows.filter(object_type_id=PETS) if self.custom else rows

    def value(self, record_id: str):
        row = self.model.objects.get(pk=self.pk(record_id))
        return row.properties[self.column] if self.custom or self.raw \
            else getattr(row, self.column)


KINDS = [
    Kind("companies", HubSpotCompany, "name"),
    Kind("deals", HubSpotDeal, "dealname"),
    Kind("tickets", HubSpotTicket, "subject"),
    Kind("products", HubSpotProduct, "name"),
    Kind("line_items", HubSpotLineItem, "name"),
    Kind("calls", HubSpotCall, "hs_call_title"),
    Kind("emails", HubSpotEmail, "hs_email_subject"),
    Kind("meetings", HubSpotMeeting, "hs_meeting_title"),
    Kind("notes", HubSpotNote, "hs_note_body"),
    Kind("tasks", HubSpotTask, "hs_task_subject"),
    Kind(PETS, HubSpotCustomObject, "pet_name", "sync_hubspot_custom_objects",
         f"pets ({PETS})", custom=True),
]
# The other standard objects: every property raw (only their times are typed columns); the
# column is the type's display property, a string HubSpot lets one write.
STANDARD = [
    Kind("quotes", HubSpotQuote, "hs_title", raw=True),
    Kind("communications", HubSpotCommunication, "hs_communication_body", raw=True),
    Kind("feedback_submissions", HubSpotFeedbackSubmission, "hs_content", raw=True),
    Kind("invoices", HubSpotInvoice, "hs_number", raw=True),
    Kind("subscriptions", HubSpotSubscription, "hs_name", raw=True),
    Kind("goal_targets", HubSpotGoalTarget, "hs_goal_name", raw=True),
    Kind("discounts", HubSpotDiscount, "hs_label", raw=True),
    Kind("fees", HubSpotFee, "hs_label", raw=True),
    Kind("taxes", HubSpotTax, "hs_label", raw=True),
    Kind("commerce_payments", HubSpotCommercePayment, "hs_reference_number", raw=True),
    Kind("users", HubSpotUser, "hs_job_title", raw=True),
    Kind("postal_mail", HubSpotPostalMail, "hs_postal_mail_body", raw=True),
    Kind("orders", HubSpotOrder, "hs_order_name", raw=True),
    Kind("leads", HubSpotLead, "hs_lead_name", raw=True),
    Kind("carts", HubSpotCart, "hs_cart_name", raw=True),
    Kind("services", HubSpotService, "hs_name", raw=True),
    Kind("courses", HubSpotCourse, "hs_course_name", raw=True),
    Kind("listings", HubSpotListing, "hs_name", raw=True),
    Kind("appointments", HubSpotAppointment, "hs_appointment_name", raw=True),
    Kind("projects", HubSpotProject, "hs_name", raw=True),
]
KINDS += STANDARD
each_kind = pytest.mark.parametrize("kind", KINDS, ids=[k.name.split()[0] for k in KINDS])
# The 20 other standard types are one declaration each on one generic engine and table shape:
# every one of them runs the first test (full, then full again); the rest of the matrix runs
# on the hand-typed kinds, the custom type and every fifth of them.
SAMPLED = [k for k in KINDS if k not in STANDARD] + STANDARD[::5]
sampled_kind = pytest.mark.parametrize("kind", SAMPLED,
                                       ids=[k.name.split()[0] for k in SAMPLED])


def sync(kind: Kind, *flags: str) -> dict[str, int]:
    return run_command(kind.cmd, *flags)[kind.name]


def upstream(hubspot, kind: Kind) -> tuple[set[str], set[str]]:
    """(live ids, archived ids) as HubSpot lists them."""
    with client_from_settings() as client:
        live = {r["id"] for p in client.list_pages(kind.object_type, []) for r in p}
        gone = {r["id"] for p in client.list_pages(kind.object_type, [], archived=True)
                for r in p}
    return live, gone


def local_live_id(kind: Kind) -> str:
    row = kind.rows().filter(archived=False).order_by("pk").first()
    return row.record_id if kind.custom else row.pk


@each_kind
def test_empty_database_when_full_sync_then_all_created_and_second_full_skips_all(hubspot, kind):
    live, archived = upstream(hubspot, kind)
    assert live, f"the default portal should have {kind.object_type}"
    first = sync(kind, "--full")
    assert first["fetched"] == first["created"] == len(live) + len(archived)
    assert first["archived"] == len(archived) and first["failed"] == 0
    assert set(kind.rows().filter(archived=False).values_list("pk", flat=True)) \
        == {kind.pk(i) for i in live}
    some = sorted(live)[0]
    row = kind.model.objects.get(pk=kind.pk(some))
    assert row.properties["hs_object_id"] == some  # every property kept raw
    assert kind.value(some) == row.properties[kind.column]  # typed column from the property
    again = sync(kind, "--full")
    assert again["skipped"] == again["fetched"] == first["fetched"]
    assert (again["created"], again["updated"], again["overwritten"]) == (0, 0, 0)


@sampled_kind
def test_silent_upstream_change_when_full_then_skipped_but_full_force_overwrite_replaces(
        hubspot, kind):
    sync(kind, "--full")
    target = local_live_id(kind)
    before = kind.value(target)
    hubspot.control.update(kind.object_type, target, {kind.column: "Silently changed"},
                           touch=False)
    counts = sync(kind, "--full")
    assert counts["skipped"] == counts["fetched"] and counts["updated"] == 0
    assert kind.value(target) == before
    counts = sync(kind, "--full", "--force-overwrite", "--noinput")
    assert counts["overwritten"] == counts["fetched"] and counts["skipped"] == 0
    assert kind.value(target) == "Silently changed"


@sampled_kind
def test_any_mode_when_dry_run_then_nothing_written_but_counts_reported(hubspot, kind):
    live, archived = upstream(hubspot, kind)
    counts = sync(kind, "--dry-run")
    assert counts["created"] == len(live) + len(archived)
    assert not kind.rows().exists() and not SyncHistory.objects.exists()
    sync(kind, "--full")
    snapshot = list(kind.rows().order_by("pk").values())
    hubspot.control.update(kind.object_type, local_live_id(kind), {kind.column: "Dry"})
    counts = sync(kind, "--full", "--force-overwrite", "--dry-run")
    assert counts["overwritten"] == counts["fetched"]
    assert list(kind.rows().order_by("pk").values()) == snapshot
    assert SyncHistory.objects.filter(object_type=kind.object_type).count() == 1


@sampled_kind
def test_synced_type_when_incremental_run_after_upstream_change_then_change_picked_up(
        hubspot, kind):
    sync(kind, "--full")
    target = local_live_id(kind)
    hubspot.control.update(kind.object_type, target, {kind.column: "Changed upstream"})
    counts = sync(kind)
    assert counts["updated"] == 1 and counts["created"] == 0
    assert kind.value(target) == "Changed upstream"
    live, _ = upstream(hubspot, kind)
    assert counts["fetched"] < len(live) or len(live) <= 2  # incremental, not the whole type
    run = SyncHistory.objects.filter(object_type=kind.object_type).latest("id")
    assert (run.mode, run.status) == ("incremental", "success")


@sampled_kind
def test_since_flag_when_one_record_changed_today_then_only_it_read_and_run_is_since(
        hubspot, kind):
    sync(kind, "--full")
    target = local_live_id(kind)
    # --since the moment just before the change (never the calendar date: a run that spans
    # midnight would otherwise miss it).
    before_change = datetime.now(UTC).isoformat(timespec="milliseconds")
    hubspot.control.update(kind.object_type, target, {kind.column: "Changed today"})
    counts = sync(kind, "--since", before_change)
    assert (counts["fetched"], counts["updated"], counts["created"]) == (1, 1, 0)
    assert kind.value(target) == "Changed today"
    run = SyncHistory.objects.filter(object_type=kind.object_type).latest("id")
    assert (run.mode, run.status) == ("since", "success")


@sampled_kind
def test_max_records_flag_when_set_then_stops_there_and_leaves_watermark(hubspot, kind):
    hubspot.control.reset(contacts=200, seed=1, rate_limit="none")  # 4 or more of each type
    counts = sync(kind, "--full", "--max-records", "3", "--batch-size", "2")
    assert counts["fetched"] == 3 and kind.rows().count() == 3
    assert SyncHistory.objects.get(object_type=kind.object_type).watermark is None


LINKED = [k for k in STANDARD if BY_NAME[k.object_type].association_types]


@pytest.mark.parametrize("kind", LINKED, ids=[k.name for k in LINKED])
def test_linked_type_when_full_sync_then_each_records_links_exactly_hubspots(hubspot, api, kind):
    hubspot.control.reset(contacts=200, seed=1, rate_limit="none")
    sync(kind, "--full")
    stored = set(HubSpotAssociation.objects.filter(from_object_type=kind.object_type)
                 .values_list("from_id", "to_object_type", "to_id", "association_type_id"))
    upstream = set()
    for record_id in kind.rows().filter(archived=False).values_list("pk", flat=True):
        for target in BY_NAME[kind.object_type].association_types:
            data = api.get(f"/crm/v4/objects/{kind.object_type}/{record_id}/associations/"
                           f"{target}", params={"limit": 500}).raise_for_status().json()
            upstream |= {(record_id, target, str(link["toObjectId"]), kind_["typeId"])
                         for link in data["results"] for kind_ in link["associationTypes"]}
    assert upstream and stored == upstream
