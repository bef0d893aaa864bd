"""Lists and forms whose ids and values HubSpot does not bound: long ids stored whole, NUL
removed alike on both databases (a warning with the id), an entry no key can hold or a
paging loop failing its own list alone, and ids escaped in every path they go into."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sync_commands import run_command, run_failing
from upstream import listing, requests_by_path

from ingestion.models import (
    HubSpotForm,
    HubSpotFormSubmission,
    HubSpotList,
    HubSpotListMembership,
    SyncError,
    SyncHistory,
)
from ingestion.sync.hubspot.lists import MemberSet, store_memberships
from ingestion.sync.hubspot.paths import segment

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

CONTACT = 10_000_000_000
SUBMISSIONS = "/form-integrations/v1/submissions/forms"
HOSTILE_PATH_ID = "../../crm/v3/owners"


def local_members(list_id: str) -> set[str]:
    return set(HubSpotListMembership.objects.filter(list_id=list_id)
               .values_list("record_id", flat=True))


def upstream_members(api, list_id: str) -> set[str]:
    members = listing(api, f"/crm/v3/lists/{segment(list_id)}/memberships", {"limit": 250})
    return {m["recordId"] for m in members}


def errors_of(object_type: str, severity: str = "error") -> dict[str, str]:
    return dict(SyncError.objects.filter(object_type=object_type, severity=severity)
                .values_list("object_id", "reason"))


# -- lists -----------------------------------------------------------------------------------

def test_member_ids_over_64_characters_when_synced_then_stored_whole(hubspot):
    long_ids = ["7" * 100, "m" * 300]
    made = hubspot.control.list_create("Long ids", record_ids=long_ids, any_ids=True)
    run_command("sync_hubspot_lists")
    assert local_members(made["listId"]) == set(long_ids)
    assert SyncHistory.objects.get(object_type="lists").status == "success"


def test_member_id_too_long_for_a_key_when_synced_then_that_list_fails_alone(hubspot, api):
    bad = hubspot.control.list_create("Unkeyable", record_ids=["é" * 600], any_ids=True)
    good = hubspot.control.list_create("Fine", record_ids=[CONTACT + 1, CONTACT + 2])
    error, run = run_failing("sync_hubspot_lists")
    assert error.returncode == 3 and run["lists"]["failed"] == 1
    assert "recordId is too long: key of 1200 bytes" in errors_of("lists")[bad["listId"]]
    assert local_members(bad["listId"]) == set()
    assert HubSpotList.objects.get(pk=bad["listId"]).membership_version is None
    assert local_members(good["listId"]) == {str(CONTACT + 1), str(CONTACT + 2)}
    assert local_members("1") == upstream_members(api, "1") != set()


def test_list_id_too_long_for_a_key_when_synced_then_fails_alone_with_its_id(hubspot):
    long_id = "9" * 1001
    hubspot.control.list_create("Long id", list_id=long_id, record_ids=[CONTACT + 1])
    error, run = run_failing("sync_hubspot_lists")
    assert error.returncode == 3 and run["lists"]["failed"] == 1
    assert errors_of("lists")[long_id] == "unstorable lists id: key of 1001 bytes (at most " \
                                          "1000 are stored)"
    assert HubSpotList.objects.count() == 4 and local_members("1")


def test_nul_in_member_ids_and_list_name_when_synced_then_removed_with_warnings(hubspot):
    made = hubspot.control.list_create("Null\x00name", record_ids=["12\x0034"], any_ids=True)
    run_command("sync_hubspot_lists")
    row = HubSpotList.objects.get(pk=made["listId"])
    assert row.name == row.raw["name"] == "Nullname"
    assert local_members(made["listId"]) == {"1234"}
    warnings = SyncError.objects.filter(object_type="lists", object_id=made["listId"],
                                        severity="warning").values_list("reason", flat=True)
    assert sorted(warnings) == ["member 1234: recordId: NUL characters were removed (a "
                                "database text column cannot hold them)",
                                "name: NUL characters were removed (a database text column "
                                "cannot hold them)"]


def test_membership_cursor_repeating_on_one_list_when_synced_then_that_list_fails_alone(
        hubspot, api):
    looping = {"results": [{"recordId": str(CONTACT), "membershipTimestamp": None}],
               "paging": {"next": {"after": "same-cursor"}}}
    hubspot.control.set_faults(script=[{"kind": "body", "body": looping}] * 2,
                               match={"method": "GET",
                                      "path_prefix": "/crm/v3/lists/1/memberships"})
    error, run = run_failing("sync_hubspot_lists")
    assert error.returncode == 3 and run["lists"]["failed"] == 1
    assert "paging cursor 'same-cursor' a second time" in errors_of("lists")["1"]
    assert local_members("1") == set()
    assert HubSpotList.objects.get(pk="1").membership_version is None
    for other in "234":  # the other lists' members are kept
        assert local_members(other) == upstream_members(api, other) != set()
    run_command("sync_hubspot_lists")  # read again, as nothing was stored for it
    assert local_members("1") == upstream_members(api, "1") != set()


def test_list_ids_with_path_characters_when_synced_then_each_read_at_its_own_path(
        hubspot, api):
    assert api.get(f"/crm/v3/lists/{segment(HOSTILE_PATH_ID)}").status_code == 404
    odd_ids = [HOSTILE_PATH_ID, "1?includeFilters=false", "a/b#c"]
    for n, list_id in enumerate(odd_ids):
        hubspot.control.list_create(f"Odd {n}", list_id=list_id, record_ids=[CONTACT + n + 1])
    owners_before = requests_by_path(hubspot)["/crm/v3/owners"]
    run_command("sync_hubspot_lists")
    for n, list_id in enumerate(odd_ids):
        assert HubSpotList.objects.get(pk=list_id).name == f"Odd {n}"
        assert local_members(list_id) == {str(CONTACT + n + 1)}
    assert local_members("1") == upstream_members(api, "1")  # not list 1's members filed
    assert requests_by_path(hubspot)["/crm/v3/owners"] == owners_before
    assert requests_by_path(hubspot)[f"/crm/v3/lists/{HOSTILE_PATH_ID}/memberships"] == 1


# -- forms -----------------------------------------------------------------------------------

def test_conversion_id_over_64_characters_when_synced_then_stored_whole(hubspot):
    form = hubspot.control.form_create("Long conversion")
    hubspot.control.form_add_submission(form["id"], {"email": "a@example.com"},
                                        conversion_id="c" * 300)
    run_command("sync_hubspot_forms")
    [stored] = HubSpotFormSubmission.objects.filter(form_id=form["id"])
    assert stored.conversion_id == "c" * 300
    assert SyncHistory.objects.get(object_type="forms").status == "success"


def test_nul_in_submission_values_when_synced_then_removed_with_a_warning_by_form(hubspot):
    form = hubspot.control.form_create("Nul values")
    hubspot.control.form_add_submission(
        form["id"], [{"name": "message", "value": "a\x00b"},
                     {"name": "email", "value": "x@example.com"}])
    run_command("sync_hubspot_forms")
    [stored] = HubSpotFormSubmission.objects.filter(form_id=form["id"])
    assert stored.values == [{"name": "message", "value": "ab"},
                             {"name": "email", "value": "x@example.com"}]
    [warning] = errors_of("forms", "warning").items()
    assert warning[0] == form["id"]
    assert warning[1].endswith(": values[0].value: NUL characters were removed (a database "
                               "text column cannot hold them)")
    assert SyncHistory.objects.get(object_type="forms").status == "success"


def test_submissions_cursor_repeating_on_one_form_when_synced_then_that_form_fails_alone(
        hubspot, api):
    looping, other = [f["id"] for f in api.get("/marketing/v3/forms/").json()["results"][:2]]
    page = {"results": [], "paging": {"next": {"after": "same-cursor"}}}
    hubspot.control.set_faults(script=[{"kind": "body", "body": page}] * 2,
                               match={"method": "GET",
                                      "path_prefix": f"{SUBMISSIONS}/{looping}"})
    error, run = run_failing("sync_hubspot_forms")
    assert error.returncode == 3 and run["forms"]["failed"] == 1
    assert "paging cursor 'same-cursor' a second time" in errors_of("forms")[looping]
    assert HubSpotForm.objects.get(pk=looping).submissions_read_until is None
    assert HubSpotFormSubmission.objects.filter(form_id=other).exists()
    run_command("sync_hubspot_forms")  # read again: its watermark did not move
    assert HubSpotFormSubmission.objects.filter(form_id=looping).exists()


def test_form_ids_with_path_characters_when_synced_then_own_submissions_only(hubspot, api):
    assert api.get(f"{SUBMISSIONS}/{segment(HOSTILE_PATH_ID)}").status_code == 404
    seeded = api.get("/marketing/v3/forms/").json()["results"][0]["id"]
    odd_ids = [HOSTILE_PATH_ID, f"{seeded}?limit=1"]
    for n, form_id in enumerate(odd_ids):
        hubspot.control.form_create(f"Odd {n}", form_id=form_id)
        hubspot.control.form_add_submission(form_id, {"email": f"odd{n}@example.com"})
    owners_before = requests_by_path(hubspot)["/crm/v3/owners"]
    run_command("sync_hubspot_forms")
    for n, form_id in enumerate(odd_ids):
        [stored] = HubSpotFormSubmission.objects.filter(form_id=form_id)
        assert stored.values == [{"name": "email", "value": f"odd{n}@example.com"}]
    filed = HubSpotFormSubmission.objects.filter(form_id=seeded)
    assert filed.exists() and not [
        s for s in filed if any(str(v.get("value")).startswith("odd") for v in s.values)]
    assert requests_by_path(hubspot)["/crm/v3/owners"] == owners_before
    assert HubSpotForm.objects.filter(pk__in=odd_ids).count() == 2


def test_members_the_database_refuses_when_stored_then_only_their_list_fails():
    """The writers' fallback (writer.write_each_alone): members without an object type break
    a NOT NULL column on both databases; their list fails by id, the other list is kept."""
    now = datetime.now(UTC)
    good = MemberSet("0-1", (("11", now),), "v-good", 1)
    bad = MemberSet(None, (("22", now),), "v-bad", 1)
    for list_id in ("good", "bad"):
        HubSpotList.objects.create(id=list_id, object_type_id="0-1",
                                   processing_type="MANUAL", synced_at=now)
    failures = store_memberships([{"id": "good"}, {"id": "bad"}], {"good": good, "bad": bad})
    assert [f.object_id for f in failures] == ["bad"]
    assert failures[0].reason.startswith("memberships not stored: database rejected the "
                                         "record: IntegrityError")
    assert local_members("good") == {"11"} and local_members("bad") == set()
    assert HubSpotList.objects.get(pk="good").membership_version == "v-good"
    assert HubSpotList.objects.get(pk="bad").membership_version is None
