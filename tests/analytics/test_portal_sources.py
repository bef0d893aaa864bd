"""The emulator's default portal gives the mirror data for every table fivetran/dbt_hubspot
reads (devtools/dbt_hubspot.py: SOURCE_TABLES, SERVICE_TABLES), so the check that runs
dbt_hubspot on the Fivetran layer proves something: a source table built from nothing is an
empty staging model, which dbt_hubspot's tests pass vacuously.

One full `sync_hubspot_all` of the 40-contact portal, with the history those tables are made
of kept; then, for each source table, the rows of the mirror's own tables it is made of."""

from __future__ import annotations

import pytest
from django.db.models import Q
from sync_commands import run_command

from devtools.dbt_hubspot import HISTORY, SERVICE_TABLES, SOURCE_TABLES
from ingestion.models import (
    HubSpotAssociation,
    HubSpotCall,
    HubSpotCompany,
    HubSpotContact,
    HubSpotDeal,
    HubSpotEmail,
    HubSpotEmailCampaign,
    HubSpotEmailEvent,
    HubSpotForm,
    HubSpotFormSubmissionValue,
    HubSpotList,
    HubSpotListMembership,
    HubSpotMeeting,
    HubSpotNote,
    HubSpotOwner,
    HubSpotOwnerTeam,
    HubSpotPipeline,
    HubSpotPipelineStage,
    HubSpotProperty,
    HubSpotPropertyHistory,
    HubSpotRole,
    HubSpotSettingsUser,
    HubSpotTask,
    HubSpotTeam,
    HubSpotTeamMember,
    HubSpotTicket,
)

pytestmark = pytest.mark.django_db(transaction=True)

ENGAGEMENTS = {"call": HubSpotCall, "email": HubSpotEmail, "meeting": HubSpotMeeting,
               "note": HubSpotNote, "task": HubSpotTask}
ENGAGEMENT_TYPES = ("calls", "emails", "meetings", "notes", "tasks")
# dbt_hubspot's email_event_<type> tables and HubSpot's event type behind each.
EMAIL_EVENT_TYPES = {"bounce": "BOUNCE", "click": "CLICK", "deferred": "DEFERRED",
                     "delivered": "DELIVERED", "dropped": "DROPPED", "forward": "FORWARD",
                     "open": "OPEN", "print": "PRINT", "sent": "SENT",
                     "spam_report": "SPAMREPORT", "status_change": "STATUSCHANGE"}


def links(from_types, to_type: str) -> int:
    return HubSpotAssociation.objects.filter(from_object_type__in=from_types,
                                             to_object_type=to_type).count()


def history(object_type: str, prop: str | None = None) -> int:
    versions = HubSpotPropertyHistory.objects.filter(object_type=object_type)
    return (versions if prop is None else versions.filter(property=prop)).count()


def submissions_of_contacts() -> int:
    """Form submissions whose `email` answer is a mirrored contact's address: the contact
    dbt_hubspot's contact_form_submission names."""
    emails = {e.lower() for e in HubSpotContact.objects.exclude(email=None)
              .values_list("email", flat=True)}
    answers = HubSpotFormSubmissionValue.objects.filter(name="email")
    return sum(1 for value in answers.values_list("value", flat=True)
               if value and value.lower() in emails)


def property_options() -> int:
    return sum(len(options) for options in HubSpotProperty.objects.values_list("options",
                                                                               flat=True))


def mirrored_rows() -> dict[str, int]:
    """Per source table, the rows of the mirror's tables it is made of."""
    deal_pipelines = HubSpotPipeline.objects.filter(object_type="deals")
    ticket_pipelines = HubSpotPipeline.objects.filter(object_type="tickets")
    rows = {
        "company": HubSpotCompany.objects.count(),
        "company_property_history": history("companies"),
        "contact": HubSpotContact.objects.count(),
        "contact_form_submission": submissions_of_contacts(),
        "contact_list": HubSpotList.objects.filter(object_type_id="0-1").count(),
        "contact_list_member": HubSpotListMembership.objects.filter(object_type_id="0-1")
        .count(),
        "contact_property_history": history("contacts"),
        "deal": HubSpotDeal.objects.count(),
        "deal_company": links(["deals"], "companies"),
        "deal_contact": links(["deals"], "contacts"),
        "deal_pipeline": deal_pipelines.count(),
        "deal_pipeline_stage": HubSpotPipelineStage.objects.filter(object_type="deals").count(),
        "deal_property_history": history("deals"),
        "deal_stage": history("deals", "dealstage"),
        "email_campaign": HubSpotEmailCampaign.objects.count(),
        "email_event": HubSpotEmailEvent.objects.count(),
        **{f"email_event_{name}": HubSpotEmailEvent.objects.filter(event_type=kind).count()
           for name, kind in EMAIL_EVENT_TYPES.items()},
        "engagement": sum(model.objects.count() for model in ENGAGEMENTS.values()),
        **{f"engagement_{name}": model.objects.count() for name, model in ENGAGEMENTS.items()},
        "engagement_company": links(ENGAGEMENT_TYPES, "companies"),
        "engagement_contact": links(ENGAGEMENT_TYPES, "contacts"),
        "engagement_deal": links(ENGAGEMENT_TYPES, "deals"),
        "form": HubSpotForm.objects.count(),
        "owner": HubSpotOwner.objects.count(),
        "owner_team": HubSpotOwnerTeam.objects.count(),
        "property": HubSpotProperty.objects.count(),
        "property_option": property_options(),
        "role": HubSpotRole.objects.count(),
        "team": HubSpotTeam.objects.count(),
        "team_user": HubSpotTeamMember.objects.count(),
        "users": HubSpotSettingsUser.objects.count(),
        "ticket": HubSpotTicket.objects.count(),
        "ticket_company": links(["tickets"], "companies"),
        "ticket_contact": links(["tickets"], "contacts"),
        "ticket_engagement": links(ENGAGEMENT_TYPES, "tickets"),
        "ticket_pipeline": ticket_pipelines.count(),
        "ticket_pipeline_stage": HubSpotPipelineStage.objects.filter(object_type="tickets")
        .count(),
        "ticket_property_history": history("tickets", "hs_pipeline_stage"),
    }
    return rows


@pytest.fixture
def mirrored(hubspot, settings):
    settings.HUBSPOT_PROPERTY_HISTORY = tuple(HISTORY.split(","))
    run_command("sync_hubspot_all")
    return hubspot


def test_default_portal_when_synced_then_every_dbt_hubspot_source_has_rows(mirrored):
    rows = mirrored_rows()
    assert sorted(rows) == sorted(SOURCE_TABLES + SERVICE_TABLES)
    assert [table for table, count in rows.items() if count == 0] == []
    unlinked = [(kind, to_type) for kind in ENGAGEMENT_TYPES
                for to_type in ("contacts", "companies", "deals", "tickets")
                if links([kind], to_type) == 0]
    assert unlinked == []  # each engagement type on each kind of record


def test_default_portal_when_synced_then_deals_and_users_name_what_the_mirror_holds(mirrored):
    stages = set(HubSpotPipelineStage.objects.filter(object_type="deals")
                 .values_list("stage_id", flat=True))
    deals = HubSpotDeal.objects.filter(archived=False)
    assert stages >= set(deals.values_list("dealstage", flat=True)) - {None}
    assert deals.exclude(hubspot_owner_id=None).count() > deals.count() / 2
    assert set(HubSpotOwner.objects.values_list("id", flat=True)) >= set(
        deals.exclude(hubspot_owner_id=None).values_list("hubspot_owner_id", flat=True))
    staged = set(HubSpotPropertyHistory.objects.filter(object_type="deals",
                                                       property="dealstage")
                 .values_list("object_id", flat=True))
    assert set(deals.values_list("id", flat=True)) <= staged
    users = HubSpotSettingsUser.objects.all()
    assert users.exclude(Q(role_id=None) | Q(primary_team_id=None)).exists()
    assert set(users.values_list("role_id", flat=True)) - {None} <= set(
        HubSpotRole.objects.values_list("id", flat=True))
    assert set(HubSpotOwnerTeam.objects.values_list("team_id", flat=True)) <= set(
        HubSpotTeam.objects.values_list("id", flat=True))
    assert set(HubSpotOwnerTeam.objects.values_list("owner_id", flat=True)) <= set(
        HubSpotOwner.objects.values_list("id", flat=True))
