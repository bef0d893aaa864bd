"""Forms of every type (hubspot, captured, flow, blog_comment) and each submission's answers as
rows (hubspot_form_submission_value): what HubSpot serves is mirrored, a form type HubSpot keeps
no submissions for fails nothing, a malformed submission fails only its form, and the
migration fills the rows from submissions stored before it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from sync_commands import run_command, run_failing
from upstream import listing, requests_by_path

from ingestion.models import (
    HubSpotForm,
    HubSpotFormSubmission,
    HubSpotFormSubmissionValue,
    SyncError,
    SyncHistory,
)
from ingestion.sync.hubspot.forms import submission_row, value_rows

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

SUBMISSIONS = "/form-integrations/v1/submissions/forms"


def upstream_forms(api) -> dict[str, dict]:
    """Every form HubSpot has, live and archived, by name."""
    found = [*listing(api, "/marketing/v3/forms", {"formTypes": "all"}),
             *listing(api, "/marketing/v3/forms", {"formTypes": "all", "archived": "true"})]
    return {f["name"]: f for f in found}


def upstream_submissions(api, form_id: str) -> list[dict]:
    return listing(api, f"{SUBMISSIONS}/{form_id}", {"limit": 50})


def stored_answers(form_id: str) -> list[tuple]:
    return list(HubSpotFormSubmissionValue.objects.filter(form_id=form_id).order_by(
        "submission_key", "position").values_list("submission_key", "name", "value",
                                                  "position", "submitted_at"))


def expected_answers(form_id: str, submissions: list[dict]) -> list[tuple]:
    rows = [v for s in submissions for v in value_rows(submission_row(form_id, s))]
    return sorted(((r["submission_key"], r["name"], r["value"], r["position"], r["submitted_at"])
                   for r in rows), key=lambda row: (row[0], row[3]))


def test_every_type_when_synced_then_mirrored_with_answers_as_rows(hubspot, api):
    forms = upstream_forms(api)
    captured = forms["Pricing page form"]
    # An external HTML form posting one checkbox group's name twice: two answers, in order.
    hubspot.control.form_add_submission(captured["id"], [
        {"name": "email", "value": "twice@example.com"},
        {"name": "interests", "value": "Product A"}, {"name": "interests", "value": "Product B"}])

    run_command("sync_hubspot_forms")
    assert dict(HubSpotForm.objects.values_list("name", "form_type")) == {
        name: f["formType"] for name, f in forms.items()}
    assert HubSpotForm.objects.get(name="Holiday pop-up 2024").archived  # an archived flow form
    for name, form in forms.items():
        if form["formType"] == "blog_comment":
            continue
        read = upstream_submissions(api, form["id"])
        assert read and stored_answers(form["id"]) == expected_answers(form["id"], read), name
    planted = HubSpotFormSubmissionValue.objects.filter(value__in=["Product A", "Product B"],
                                                        form_id=captured["id"])
    assert list(planted.order_by("position").values_list("name", "value", "position")) == [
        ("interests", "Product A", 1), ("interests", "Product B", 2)]
    # A multiple-checkbox answer as HubSpot sends it: one value, the options `;`-separated.
    assert HubSpotFormSubmissionValue.objects.filter(
        form_id=captured["id"], name="interests", value="Product A;Product B").exists()


def test_blog_comment_form_when_synced_then_stored_without_submissions_nor_a_failure(hubspot,
                                                                                       api):
    blog = upstream_forms(api)["Blog comments"]
    assert api.get(f"{SUBMISSIONS}/{blog['id']}").status_code == 400  # what HubSpot answers
    run_command("sync_hubspot_forms")
    stored = HubSpotForm.objects.get(pk=blog["id"])
    assert stored.form_type == "blog_comment" and stored.submissions_read_until is None
    assert not HubSpotFormSubmission.objects.filter(form_id=blog["id"]).exists()
    asked = requests_by_path(hubspot, lambda path: path == f"{SUBMISSIONS}/{blog['id']}")
    assert asked.total() == 1  # the one above: the sync never asked
    assert SyncHistory.objects.get(object_type="forms").status == "success"
    assert not SyncError.objects.exists()


def test_malformed_submission_when_synced_then_only_its_form_fails(hubspot, api):
    bad = hubspot.control.form_create("Odd widget", form_type="captured")
    hubspot.control.form_add_submission(bad["id"], {"email": "fine@example.com"})
    hubspot.control.form_add_submission(bad["id"], [{"value": "an answer with no field"}])

    error, run = run_failing("sync_hubspot_forms")
    assert error.returncode == 3 and run["forms"]["failed"] == 1
    reason = SyncError.objects.get(object_type="forms", severity="error", object_id=bad["id"])
    assert "unreadable submission" in reason.reason and "{name, value}" in reason.reason
    assert not HubSpotFormSubmission.objects.filter(form_id=bad["id"]).exists()
    assert not HubSpotFormSubmissionValue.objects.filter(form_id=bad["id"]).exists()
    assert HubSpotForm.objects.get(pk=bad["id"]).submissions_read_until is None
    others = HubSpotForm.objects.exclude(pk=bad["id"]).exclude(form_type="blog_comment")
    assert all(HubSpotFormSubmissionValue.objects.filter(form_id=f.pk).exists() for f in others)


def test_migration_when_submissions_stored_before_then_their_answers_filled(db):
    call_command("migrate", "ingestion", "0016_email_events", verbosity=0)
    at = datetime(2025, 3, 1, tzinfo=UTC)
    values = [{"name": "email", "value": "a@example.com"}, {"value": "no name"},
              {"name": "interests", "value": "A;B"}, {"name": "consent", "value": True},
              {"name": "empty", "value": None}]
    HubSpotFormSubmission.objects.create(submission_key="k" * 40, form_id="f-1",
                                         submitted_at=at, values=values, synced_at=at)
    call_command("migrate", "ingestion", verbosity=0)
    assert list(HubSpotFormSubmissionValue.objects.order_by("position").values_list(
        "submission_key", "form_id", "name", "value", "position", "submitted_at")) == [
        ("k" * 40, "f-1", "email", "a@example.com", 0, at),
        ("k" * 40, "f-1", "interests", "A;B", 2, at),
        ("k" * 40, "f-1", "consent", "true", 3, at),
        ("k" * 40, "f-1", "empty", None, 4, at)]


def test_value_rows_when_answers_not_text_then_json_text_and_null_kept():
    entry = {"submittedAt": 1760000000000, "values": [
        {"name": "count", "value": 3}, {"name": "tags", "value": ["a", "b"]},
        {"name": "none", "value": None}, {"name": "text", "value": "é;ü"}]}
    rows = value_rows(submission_row("form-1", entry))
    assert [(r["name"], r["value"], r["position"]) for r in rows] == [
        ("count", "3", 0), ("tags", '["a","b"]', 1), ("none", None, 2), ("text", "é;ü", 3)]
    assert {r["form_id"] for r in rows} == {"form-1"}
    assert {r["submitted_at"] for r in rows} == {datetime.fromtimestamp(1760000000, UTC)}
    with pytest.raises(ValueError, match="name, value"):
        submission_row("form-1", {**entry, "values": [{"name": 5, "value": "x"}]})


def documented_answers_query() -> str:
    text = (Path(__file__).resolve().parents[2] / "docs" / "analysts.md").read_text()
    blocks = [block.split("```", 1)[0] for block in text.split("```sql\n")[1:]]
    (query,) = [block for block in blocks if "FROM hubspot_form_submission_value" in block]
    return query


def test_answers_query_when_run_on_a_synced_mirror_then_counts_match_hubspot(hubspot, api):
    run_command("sync_hubspot_forms")
    with connection.cursor() as cursor:
        cursor.execute(documented_answers_query())
        rows = cursor.fetchall()
    expected = {}
    for name, form in upstream_forms(api).items():
        if form["formType"] == "blog_comment":
            continue
        for s in upstream_submissions(api, form["id"]):
            for answer in s["values"]:
                key = (name, form["formType"], answer["name"])
                expected.setdefault(key, []).append(answer["value"])
    assert {row[:3]: row[3:5] for row in rows} == {
        key: (len(answers), len(set(answers))) for key, answers in expected.items()}
