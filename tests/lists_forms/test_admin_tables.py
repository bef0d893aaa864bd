"""The lists and forms tables in the read-only admin, listed and searchable by HubSpot ids."""

from __future__ import annotations

import pytest
from django.urls import reverse
from sync_commands import run_command

from ingestion.models import (
    HubSpotForm,
    HubSpotFormSubmission,
    HubSpotFormSubmissionValue,
    HubSpotList,
    HubSpotListMembership,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_synced_lists_and_forms_when_admin_opened_then_each_table_listed(hubspot, admin_client):
    run_command("sync_hubspot_lists")
    run_command("sync_hubspot_forms")
    answered = HubSpotFormSubmission.objects.first().form_id  # not the blog comments form
    searches = {HubSpotList: "1", HubSpotListMembership: "1", HubSpotForm: answered,
                HubSpotFormSubmission: answered, HubSpotFormSubmissionValue: answered}
    for model, query in searches.items():
        url = reverse(f"admin:ingestion_{model._meta.model_name}_changelist")
        listed = admin_client.get(url, {"q": query})
        assert listed.status_code == 200, model.__name__
        assert listed.context["cl"].result_count > 0, model.__name__
        assert b'name="_selected_action"' not in listed.content  # read-only: no bulk actions
