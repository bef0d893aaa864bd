"""sync_hubspot_forms: form definitions of every type and their submissions (whole and one row
per field answer), read incrementally by submission time (newest first, down to the stored
watermark minus the lookback)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sync_commands import run_command
from upstream import listing, requests_by_path

from ingestion.models import (
    HubSpotForm,
    HubSpotFormSubmission,
    HubSpotFormSubmissionValue,
    SyncHistory,
)
from ingestion.sync.hubspot.forms import submission_key, submission_row

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

SUBMISSIONS = "/form-integrations/v1/submissions/forms"


SEEDED_FORMS = 8  # four HubSpot forms, two pop-ups (flow), one captured, one blog comments
WITH_SUBMISSIONS = 7  # every one but the blog comments form


def upstream_forms(api) -> list[dict]:
    every_type = {"formTypes": "all"}
    return [*api.get("/marketing/v3/forms/", params=every_type).json()["results"],
            *api.get("/marketing/v3/forms/",
                     params={**every_type, "archived": "true"}).json()["results"]]


def upstream_submissions(api, form_id: str) -> list[dict]:
    return listing(api, f"{SUBMISSIONS}/{form_id}", {"limit": 50})


def form_named(name: str) -> HubSpotForm:
    return HubSpotForm.objects.get(name=name)


def stored(form_id: str) -> int:
    return HubSpotFormSubmission.objects.filter(form_id=form_id).count()


def submission_requests(hubspot) -> int:
    return requests_by_path(hubspot, lambda path: path.startswith(SUBMISSIONS)).total()


@pytest.mark.usefixtures("api_family")
def test_portal_when_forms_synced_then_forms_and_every_submission(hubspot, api):
    counts = run_command("sync_hubspot_forms")["forms"]
    upstream = upstream_forms(api)
    assert counts["created"] == len(upstream) == HubSpotForm.objects.count() == SEEDED_FORMS
    assert {f["formType"] for f in upstream} == {"hubspot", "captured", "flow", "blog_comment"}
    for form in upstream:
        row = HubSpotForm.objects.get(pk=form["id"])
        assert (row.name, row.form_type, row.archived) == (
            form["name"], form["formType"], form["archived"])
        assert row.fields == form["fieldGroups"] and row.raw == form
        if form["formType"] == "blog_comment":
            continue  # no submissions served (test_form_types.py)
        read = upstream_submissions(api, form["id"])
        assert stored(form["id"]) == len(read) > 0
        newest = max(s["submittedAt"] for s in read)
        assert row.submissions_read_until == datetime.fromtimestamp(newest / 1000, UTC)
    archived = form_named("Spring event 2025")
    assert archived.archived and archived.archived_at is not None
    sample = upstream_submissions(api, upstream[0]["id"])[0]
    saved = HubSpotFormSubmission.objects.get(
        pk=submission_key(upstream[0]["id"], sample["submittedAt"], sample["values"]))
    assert (saved.values, saved.page_url, saved.conversion_id) == (
        sample["values"], sample["pageUrl"], sample["conversionId"])


def test_new_submissions_when_synced_again_then_read_incrementally_none_duplicated(hubspot):
    run_command("sync_hubspot_forms")
    total = HubSpotFormSubmission.objects.count()
    newsletter = form_named("Newsletter signup")
    first_run_requests = submission_requests(hubspot)
    hubspot.control.form_add_submission(newsletter.pk, {"email": "new@example.com"})
    hubspot.control.form_add_submission(newsletter.pk, {"email": "second@example.com"})

    values = HubSpotFormSubmissionValue.objects.count()

    counts = run_command("sync_hubspot_forms")["forms"]
    assert counts["skipped"] == SEEDED_FORMS
    assert HubSpotFormSubmission.objects.count() == total + 2
    assert HubSpotFormSubmissionValue.objects.count() == values + 2  # one field each
    # One page per form with submissions (newest first, stopped at the watermark), where the
    # first run paged through the newsletter's 60 submissions.
    assert (submission_requests(hubspot) - first_run_requests
            == WITH_SUBMISSIONS < first_run_requests)
    run_command("sync_hubspot_forms", "--full")  # everything read again: nothing new stored
    assert HubSpotFormSubmission.objects.count() == total + 2
    assert HubSpotFormSubmissionValue.objects.count() == values + 2
    assert SyncHistory.objects.filter(object_type="forms").latest("pk").mode == "full"


def test_late_submission_within_lookback_when_synced_then_read(hubspot):
    run_command("sync_hubspot_forms")
    contact = form_named("Contact us")
    watermark = contact.submissions_read_until
    late = int((watermark - timedelta(minutes=2)).timestamp() * 1000)  # lookback: 5 minutes
    too_late = int((watermark - timedelta(minutes=10)).timestamp() * 1000)
    hubspot.control.form_add_submission(contact.pk, {"email": "late@example.com"},
                                        submitted_at_ms=late)
    hubspot.control.form_add_submission(contact.pk, {"email": "too-late@example.com"},
                                        submitted_at_ms=too_late)
    before = stored(contact.pk)
    run_command("sync_hubspot_forms")
    assert stored(contact.pk) == before + 1  # the one older than the lookback: a --full run's
    assert form_named("Contact us").submissions_read_until == watermark
    run_command("sync_hubspot_forms", "--full")
    assert stored(contact.pk) == before + 2


def test_since_when_given_then_submissions_from_that_date_read(hubspot, api):
    run_command("sync_hubspot_forms")
    webinar = form_named("Webinar registration")
    read = upstream_submissions(api, webinar.pk)
    HubSpotFormSubmission.objects.filter(form_id=webinar.pk).delete()
    middle = sorted(s["submittedAt"] for s in read)[len(read) // 2]
    since = datetime.fromtimestamp(middle / 1000, UTC).isoformat()
    run_command("sync_hubspot_forms", "--since", since)
    assert stored(webinar.pk) == sum(s["submittedAt"] >= middle for s in read)


def test_force_overwrite_when_submission_edited_locally_then_restored(hubspot):
    run_command("sync_hubspot_forms")
    edited = HubSpotFormSubmission.objects.order_by("-submitted_at").first()
    original = edited.values
    HubSpotFormSubmission.objects.filter(pk=edited.pk).update(values=[{"name": "x"}])
    HubSpotForm.objects.filter(pk=edited.form_id).update(name="edited locally")
    answers = HubSpotFormSubmissionValue.objects.filter(submission_key=edited.pk)
    HubSpotFormSubmissionValue.objects.filter(pk=answers.first().pk).update(value="edited")
    HubSpotFormSubmissionValue.objects.create(  # a row HubSpot never sent
        submission_key=edited.pk, form_id=edited.form_id, name="stray", value="?",
        position=99, submitted_at=edited.submitted_at)

    run_command("sync_hubspot_forms")  # normal save: stored submissions are left alone
    assert HubSpotFormSubmission.objects.get(pk=edited.pk).values == [{"name": "x"}]
    assert answers.filter(value="edited").exists() and answers.filter(name="stray").exists()

    forced = run_command("sync_hubspot_forms", "--force-overwrite", "--noinput")["forms"]
    assert forced["overwritten"] == SEEDED_FORMS
    assert HubSpotFormSubmission.objects.get(pk=edited.pk).values == original
    # The answers are the submission's again, in order, the stray row gone.
    assert list(answers.order_by("position").values_list("name", "value", "position")) == [
        (v["name"], v["value"], k) for k, v in enumerate(original)]
    assert HubSpotForm.objects.get(pk=edited.form_id).name != "edited locally"


def test_dry_run_when_forms_new_then_nothing_written_nor_submissions_read(hubspot):
    dry = run_command("sync_hubspot_forms", "--dry-run")["forms"]
    assert dry["created"] == SEEDED_FORMS
    assert HubSpotForm.objects.count() == HubSpotFormSubmission.objects.count() == 0
    assert not HubSpotFormSubmissionValue.objects.exists()
    assert submission_requests(hubspot) == 0


def test_submission_key_when_read_again_then_same_and_values_order_matters():
    entry = {"submittedAt": 1760000000000, "pageUrl": "https://x",
             "values": [{"name": "email", "value": "a@b.c"}, {"name": "firstname", "value": "A"}]}
    row = submission_row("form-1", entry)
    assert row["submission_key"] == submission_row("form-1", dict(entry))["submission_key"]
    assert row["submitted_at"] == datetime.fromtimestamp(1760000000, UTC)
    swapped = {**entry, "values": entry["values"][::-1]}
    assert submission_row("form-1", swapped)["submission_key"] != row["submission_key"]
    assert submission_row("form-2", entry)["submission_key"] != row["submission_key"]
    with pytest.raises(KeyError):
        submission_row("form-1", {"values": []})
