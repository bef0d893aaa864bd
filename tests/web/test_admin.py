"""The admin (/admin/): every mirrored table, the runs, their errors and quarantine, shown
from real syncs; nothing can be added, changed or deleted, by a superuser either; the OAuth
grant (tokens) is not there at all."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse
from sync_commands import run_command

from ingestion import admin as ingestion_admin
from ingestion.models import (
    HubSpotAssociation,
    HubSpotContact,
    OAuthGrant,
    QuarantinedRecord,
    SyncError,
    SyncHistory,
    WebhookEvent,
)
from web.runs import record_run

pytestmark = pytest.mark.django_db(transaction=True)

REGISTERED = [*ingestion_admin.MIRRORED, HubSpotAssociation, WebhookEvent, SyncHistory,
              SyncError, QuarantinedRecord]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:ingestion_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def synced_contacts(hubspot):
    """The contacts mirrored (one full run): what a contact's page and its runs show."""
    run_command("sync_hubspot_contacts", "--full")


def test_synced_portal_when_each_changelist_opened_then_rows_listed(synced, admin_client):
    for model in REGISTERED:
        response = admin_client.get(admin_url(model, "changelist"))
        assert response.status_code == 200, model.__name__
        assert b'name="_selected_action"' not in response.content  # no bulk actions
    contact = HubSpotContact.objects.exclude(email=None).first()
    listed = admin_client.get(admin_url(HubSpotContact, "changelist"), {"q": contact.email})
    assert contact.id.encode() in listed.content
    by_id = admin_client.get(admin_url(HubSpotContact, "changelist"), {"q": contact.id})
    assert by_id.context["cl"].result_count == 1


def test_synced_contact_when_its_page_opened_then_fields_shown_read_only(synced_contacts,
                                                                          admin_client):
    contact = HubSpotContact.objects.exclude(email=None).first()
    page = admin_client.get(admin_url(HubSpotContact, "change", contact.pk))
    assert page.status_code == 200
    assert contact.email.encode() in page.content
    assert b'type="submit"' not in page.content.split(b'id="content-main"')[1]  # no Save


def test_sync_runs_when_listed_and_opened_then_counts_filters_and_details_shown(
        synced_contacts, admin_client):
    run_command("verify_hubspot", "--types", "contacts")
    run = SyncHistory.objects.filter(object_type="contacts", mode="full").get()
    listed = admin_client.get(admin_url(SyncHistory, "changelist"),
                              {"object_type__exact": "contacts", "mode__exact": "full"})
    assert list(listed.context["cl"].result_list) == [run]
    verify = SyncHistory.objects.filter(object_type="contacts", mode="verify").get()
    page = admin_client.get(admin_url(SyncHistory, "change", verify.pk))
    assert b"&quot;exact&quot;: true" in page.content  # details, as indented JSON
    assert page.context["original"] == verify


def test_run_with_record_errors_when_filtered_by_run_then_only_its_errors(admin_client):
    first, second = record_run(failed=1), record_run(failed=1, minutes_ago=2)
    SyncError.objects.create(history=first, object_type="contacts", object_id="11", reason="x")
    SyncError.objects.create(history=second, object_type="contacts", object_id="22",
                             reason="y" * 200)
    listed = admin_client.get(admin_url(SyncError, "changelist"), {"run": first.pk})
    assert [e.object_id for e in listed.context["cl"].result_list] == ["11"]
    page = admin_client.get(admin_url(SyncHistory, "change", second.pk))
    assert b"1 error(s)" in page.content
    assert ("y" * 79 + "…").encode() in admin_client.get(admin_url(SyncError, "changelist")).content


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m.__name__)
def test_superuser_when_asking_to_add_change_or_delete_then_no_permission(model, admin_user,
                                                                         rf):
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.has_view_permission(request)
    assert not model_admin.get_actions(request)


def test_superuser_when_posting_an_edit_or_delete_then_refused_and_row_unchanged(
        synced_contacts, admin_client):
    contact = HubSpotContact.objects.exclude(email=None).first()
    before = HubSpotContact.objects.filter(pk=contact.pk).values().get()
    change = admin_client.post(admin_url(HubSpotContact, "change", contact.pk),
                               {"email": "changed@example.com", "firstname": "Changed"})
    delete = admin_client.post(admin_url(HubSpotContact, "delete", contact.pk), {"post": "yes"})
    add = admin_client.post(admin_url(HubSpotContact, "add"), {"id": "999"})
    run = SyncHistory.objects.first()
    run_change = admin_client.post(admin_url(SyncHistory, "change", run.pk), {"status": "failed"})
    assert [r.status_code for r in (change, delete, add, run_change)] == [403] * 4
    assert HubSpotContact.objects.filter(pk=contact.pk).values().get() == before
    assert not HubSpotContact.objects.filter(pk="999").exists()
    assert SyncHistory.objects.get(pk=run.pk).status == run.status


def test_admin_when_listing_models_then_oauth_grant_absent(admin_client):
    assert OAuthGrant not in admin.site._registry
    assert admin_client.get("/admin/ingestion/oauthgrant/").status_code == 404
    assert b"oauth" not in admin_client.get("/admin/").content.lower()


def test_admin_static_files_when_requested_then_served(client):
    response = client.get("/static/admin/css/base.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)


def test_createsuperuser_when_run_without_input_then_user_can_log_in(client, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-test-password")
    call_command("createsuperuser", "--noinput", username="ops", email="ops@example.com",
                 verbosity=0)
    assert client.login(username="ops", password="a-long-test-password")
    assert client.get("/admin/").status_code == 200


def test_synced_contact_when_its_page_opened_then_properties_shown_indented(synced_contacts,
                                                                           admin_client):
    contact = HubSpotContact.objects.exclude(email=None).first()
    page = admin_client.get(admin_url(HubSpotContact, "change", contact.pk)).content.decode()
    assert f'\n  &quot;email&quot;: &quot;{contact.email}&quot;' in page  # a key a line
    assert "<pre>" in page.split('class="form-row field-pretty_properties"')[1][:600]


def test_admin_when_view_site_followed_then_status_page_not_a_404(admin_client):
    index = admin_client.get("/admin/").content.decode()
    assert '<a href="/status/">View site</a>' in index
    root = admin_client.get("/")
    assert (root.status_code, root["Location"]) == (302, "/status/")
    assert admin_client.get("/", follow=True).status_code == 200
