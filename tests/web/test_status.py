"""The status page (/status/) and `hubspot_status`: one row per type from the same function,
leading with the newest run's status and error, coloured by failure or by the age of the last
successful sync, with the runs of the last 30 days drawn as server-side SVG and links into
the admin."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from journal_ops import (  # noqa: F401 (fixtures)
    NOW,
    frozen_now,
    journal_command,
    journal_run,
    set_up_journal,
)
from subprocesses import ROOT, clean_environment, current_database_url

from ingestion.models import HubSpotCustomObjectSchema, QuarantinedRecord, SyncHistory
from ingestion.ops import status
from web.runs import record_run

pytestmark = pytest.mark.django_db(transaction=True)


def rows_by_type(response) -> dict[str, str]:
    """The page's table rows (their HTML), by the type they show."""
    html = response.content.decode()
    return dict(re.findall(r'<tr class="\w+" data-type="([^"]+)">(.*?)</tr>', html, re.S))


def row_class(response, object_type: str) -> str:
    return re.search(rf'<tr class="(\w+)" data-type="{re.escape(object_type)}">',
                     response.content.decode()).group(1)


def test_anonymous_when_opening_status_then_sent_to_admin_login(client):
    response = client.get("/status/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next=/status/"


def test_user_without_staff_rights_when_opening_status_then_sent_to_admin_login(
        client, django_user_model):
    django_user_model.objects.create_user("viewer", password="pw")
    client.login(username="viewer", password="pw")
    assert client.get("/status/").status_code == 302


@pytest.mark.parametrize(("object_type", "minutes_ago", "colour"), [
    ("contacts", 10, "green"), ("contacts", 25, "amber"), ("contacts", 31, "red"),
    ("owners", 50, "green"), ("owners", 100, "amber"), ("owners", 121, "red"),
])
def test_last_success_of_an_age_when_status_built_then_coloured_by_expected_interval(
        object_type, minutes_ago, colour):
    record_run(object_type, minutes_ago=minutes_ago)
    row = {s.object_type: s for s in status.type_statuses()}[object_type]
    assert row.colour == colour  # records: 15 min expected; definitions: 1 h


def test_no_success_when_status_built_then_red_and_never(settings):
    record_run("deals", status=SyncHistory.Status.FAILED, minutes_ago=1, error="boom")
    record_run("deals", mode="verify", minutes_ago=1, details={"exact": True})  # not a sync
    row = {s.object_type: s for s in status.type_statuses()}["deals"]
    assert (row.colour, row.cells()["last success"]) == ("red", "never")


def test_expected_minutes_setting_when_raised_then_older_success_still_green(settings):
    settings.HUBSPOT_STATUS_EXPECTED_MINUTES = 120
    record_run("contacts", minutes_ago=100)
    record_run("owners", minutes_ago=100)
    rows = {s.object_type: s for s in status.type_statuses()}
    assert rows["contacts"].colour == rows["owners"].colour == "green"


def test_runs_of_many_kinds_when_status_built_then_last_sync_counts_and_latest_verify_shown():
    record_run("contacts", mode="full", minutes_ago=30, fetched=100, created=100)
    record_run("contacts", mode="incremental", minutes_ago=5, seconds=3, fetched=7, created=2,
               updated=4, archived=1)
    record_run("contacts", mode="links", minutes_ago=1)  # upkeep: not the last sync
    record_run("contacts", mode="verify", minutes_ago=20, details={"exact": True})
    record_run("contacts", mode="verify", minutes_ago=2, details={"exact": False, "requests": 9})
    record_run("contacts", status=SyncHistory.Status.FAILED, minutes_ago=0.5, failed=3)
    QuarantinedRecord.objects.create(object_type="contacts", object_id="1", reason="bad",
                                     first_failed_at=timezone.now(),
                                     last_failed_at=timezone.now(), streak=3,
                                     quarantined_at=timezone.now())
    cells = {s.object_type: s for s in status.type_statuses()}["contacts"].cells()
    assert {k: cells[k] for k in ("state", "age", "mode", "fetched", "written", "duration",
                                  "requests", "429s", "failed", "quarantined", "verify")} == {
        "state": "failed", "age": "5 min", "mode": "incremental", "fetched": "7",
        "written": "6 +1 archived", "duration": "3.0 s", "requests": "9", "429s": "—",
        "failed": "3", "quarantined": "1", "verify": "not exact"}


def test_types_when_listed_then_standard_always_and_others_with_runs():
    record_run("2-123", minutes_ago=1)
    record_run("webhooks", mode="events", minutes_ago=1)
    types = [s.object_type for s in status.type_statuses()]
    assert types[:5] == ["properties", "owners", "pipelines", "pipeline_stages", "schemas"]
    assert {"contacts", "line_items", "tasks"} <= set(types)
    assert types[-2:] == ["2-123", "webhooks"]
    assert {s.object_type: s.colour for s in status.type_statuses()}["webhooks"] == "green"


def test_synced_portal_when_status_opened_then_every_type_green_with_admin_links(
        synced, admin_client):
    response = admin_client.get("/status/")
    assert response.status_code == 200
    rows = rows_by_type(response)
    custom = SyncHistory.objects.filter(object_type__startswith="2-").values_list(
        "object_type", flat=True).first()
    assert set(status.DEFINITION_TYPES) | set(status.RECORD_TYPES) | {custom} <= set(rows)
    assert {row_class(response, t) for t in rows} == {"green"}
    contacts = rows["contacts"]
    last = SyncHistory.objects.filter(object_type="contacts", mode="incremental").get()
    verify = SyncHistory.objects.filter(object_type="contacts", mode="verify").get()
    assert "/admin/ingestion/synchistory/?object_type__exact=contacts" in contacts
    assert f'/admin/ingestion/synchistory/{last.pk}/change/' in contacts
    assert f'/admin/ingestion/synchistory/{verify.pk}/change/">exact</a>' in contacts
    assert '<td class="state" data-column="state">fresh</td>' in contacts
    assert '<td class="run-success" data-column="last run">' in contacts


def test_runs_over_31_days_when_page_drawn_then_one_point_per_sync_of_the_last_30(admin_client):
    for day in range(6):
        record_run("deals", minutes_ago=day * 24 * 60 + 1, created=day * 10, seconds=day + 1)
    record_run("deals", minutes_ago=31 * 24 * 60)  # too old for the chart
    record_run("deals", status=SyncHistory.Status.FAILED, minutes_ago=3, error="boom")
    record_run("deals", mode="verify", minutes_ago=2, details={"exact": True})  # not drawn
    record_run("deals", mode="links", minutes_ago=2)  # nor a link refresh: it writes no records
    record_run("deals", status=SyncHistory.Status.SKIPPED, minutes_ago=1)  # nor a skipped run
    deals = rows_by_type(admin_client.get("/status/"))["deals"]
    assert "<svg" in deals and "</svg>" in deals
    assert deals.count('<circle class="run ') == 7
    assert deals.count('<circle class="run failed"') == 1
    assert "no runs in 30 days" in rows_by_type(admin_client.get("/status/"))["tickets"]


def test_chart_when_drawn_then_points_scaled_and_text_escaped():
    now = timezone.now()
    points = [status.ChartPoint(now - timedelta(hours=2), 0, 1.0, "full", "success"),
              status.ChartPoint(now, 50, 4.0, "<x>", "success")]
    from ingestion.ops.charts import HEIGHT, PAD, run_chart

    svg = str(run_chart(points))
    ys = [float(y) for y in re.findall(r'cy="([\d.]+)"', svg)]
    assert ys == [HEIGHT - PAD, PAD]  # zero at the bottom, the largest at the top
    assert "&lt;x&gt;" in svg and "<x>" not in svg


def test_hubspot_status_when_piped_then_same_rows_fixed_width_without_colour(synced):
    out = io.StringIO()
    call_command("hubspot_status", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:5] == ["type", "last", "run", "error", "state"]
    assert "\x1b[" not in out.getvalue()
    type_width = lines[0].index("last run")
    by_type = {line[:type_width].strip(): line for line in lines[1:]}
    page_types = [s.label or s.object_type for s in status.type_statuses()]
    assert list(by_type) == page_types
    assert any(name.endswith(")") and "(2-" in name for name in by_type)  # `pets (2-…)`
    assert by_type["contacts"].split()[1:5] == ["success", "(verify)", "—", "fresh"]
    state_at = lines[0].index("state")
    assert {line[state_at:state_at + 5] for line in lines[1:]} == {"fresh"}  # aligned column
    assert by_type["contacts"].split()[-1] == "exact"


def test_hubspot_status_when_on_a_terminal_then_freshness_coloured():
    record_run("contacts", minutes_ago=1)
    out = io.StringIO()
    call_command("hubspot_status", stdout=out, force_color=True)
    line = next(x for x in out.getvalue().splitlines() if x.startswith("contacts"))
    assert "\x1b[" in line and "fresh" in line and "success" in line


@pytest.mark.skipif(not apps.is_installed("django_celery_beat"),
                    reason="django-celery-beat is not installed")
def test_beat_schedule_when_a_task_syncs_the_type_then_its_interval_and_next_run_used():
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every = IntervalSchedule.objects.create(every=30, period=IntervalSchedule.MINUTES)
    now = timezone.now()
    PeriodicTask.objects.create(name="all", task="ingestion.sync_hubspot", interval=every,
                                kwargs=json.dumps({"command": "sync_hubspot_all"}),
                                last_run_at=now - timedelta(minutes=10))
    hourly = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(name="links", task="ingestion.sync_hubspot", interval=hourly,
                                kwargs=json.dumps({"command": "sync_hubspot_all",
                                                   "links_only": True}))  # reads no records
    record_run("contacts", minutes_ago=25)  # amber against the default 15 min
    row = {s.object_type: s for s in status.type_statuses(now)}["contacts"]
    assert row.colour == "green"  # the schedule says every 30 min
    assert abs(row.next_run - (now + timedelta(minutes=20))) < timedelta(seconds=5)
    assert row.cells()["next run"] != "—"


def cells_of(object_type: str) -> dict[str, str]:
    return {s.object_type: s for s in status.type_statuses()}[object_type].cells()


@pytest.mark.parametrize("ended", [SyncHistory.Status.FAILED, SyncHistory.Status.ABANDONED])
def test_fresh_success_then_a_failed_run_when_status_built_then_red_with_its_error_first(ended):
    record_run("contacts", minutes_ago=3)  # fresh by age alone
    record_run("contacts", status=ended, minutes_ago=1, error="read timeout on /crm/objects\n...")
    row = {s.object_type: s for s in status.type_statuses()}["contacts"]
    cells = row.cells()
    assert list(cells)[:4] == ["type", "last run", "error", "state"]
    assert (cells["last run"], cells["error"], cells["state"]) == (
        ended, "read timeout on /crm/objects", "failed")
    assert (row.colour, cells["age"]) == ("red", "3 min")  # red though the success is fresh


def test_failed_run_then_a_success_when_status_built_then_green_again():
    record_run("contacts", status=SyncHistory.Status.FAILED, minutes_ago=3, error="boom")
    record_run("contacts", minutes_ago=1)
    cells = cells_of("contacts")
    assert (cells["last run"], cells["error"], cells["state"]) == ("success", "—", "fresh")


def test_type_without_access_when_status_built_then_skipped_grey_never_failed_or_stale():
    record_run("quotes", minutes_ago=600)  # before the scope was removed: long stale
    record_run("quotes", status=SyncHistory.Status.SKIPPED, minutes_ago=1,
               error="no access: HubSpot answered 403 for quotes")
    row = {s.object_type: s for s in status.type_statuses()}["quotes"]
    assert (row.verdict, row.colour) == ("skipped", "grey")
    assert row.cells()["error"].startswith("no access: ")


def test_unscheduled_verify_failed_when_status_built_then_shown_but_type_not_red():
    """A verify run by hand is no job the type is expected to do: its failure is shown in
    the last-run cell (red there), but it does not turn the type (or /health/) red."""
    record_run("contacts", minutes_ago=2)
    record_run("contacts", mode="verify", status=SyncHistory.Status.FAILED, minutes_ago=1,
               error="boom")
    row = {s.object_type: s for s in status.type_statuses()}["contacts"]
    assert (row.cells()["last run"], row.colour) == ("failed (verify)", "green")


@pytest.mark.skipif(not apps.is_installed("django_celery_beat"),
                    reason="django-celery-beat is not installed")
def test_scheduled_link_refresh_failed_when_status_built_then_type_red_showing_it():
    call_command("setup_hubspot_schedule", stdout=io.StringIO())  # links hourly
    record_run("contacts", mode="links", status=SyncHistory.Status.FAILED, minutes_ago=3,
               error="links: boom")
    record_run("contacts", minutes_ago=1)  # the newest run, a success
    row = {s.object_type: s for s in status.type_statuses()}["contacts"]
    cells = row.cells()
    assert (row.colour, cells["state"]) == ("red", "failed")
    assert (cells["last run"], cells["error"]) == ("failed (links)", "links: boom")


def test_custom_type_when_listed_then_labelled_as_the_commands_name_it(admin_client):
    HubSpotCustomObjectSchema.objects.create(id="2-3508482", name="pets",
                                             synced_at=timezone.now())
    record_run("2-3508482", minutes_ago=1)
    assert cells_of("2-3508482")["type"] == "pets (2-3508482)"
    assert ">pets (2-3508482)</a>" in rows_by_type(admin_client.get("/status/"))["2-3508482"]


def test_failed_run_and_inexact_verify_when_page_drawn_then_both_cells_highlighted(
        admin_client):
    record_run("deals", minutes_ago=3)
    record_run("deals", mode="verify", minutes_ago=2, details={"exact": False})
    failed = record_run("deals", status=SyncHistory.Status.FAILED, minutes_ago=1,
                        error="x" * 300)
    response = admin_client.get("/status/")
    deals = rows_by_type(response)["deals"]
    assert row_class(response, "deals") == "red"
    assert '<td class="run-failed" data-column="last run">' in deals
    assert f'title="{"x" * 300}"' in deals  # the whole error on hover; the cell cuts it
    assert f'/admin/ingestion/synchistory/{failed.pk}/change/">{"x" * 69}…</a>' in deals
    assert '<td class="not-exact" data-column="verify">' in deals


def test_hubspot_status_when_its_reader_stops_early_then_no_broken_pipe_error():
    """`hubspot_status | head`: the pipe is closed before the table is written."""
    command = subprocess.Popen(
        [sys.executable, "manage.py", "hubspot_status"], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=clean_environment(DATABASE_URL=current_database_url()))
    command.stdout.close()  # the reader is gone before the first row
    stderr = command.stderr.read().decode()
    assert command.wait(timeout=120) == 0, stderr
    assert "BrokenPipeError" not in stderr and "Traceback" not in stderr


def test_failed_step_under_a_mode_of_its_own_when_status_built_then_type_red():
    """A step of sync_hubspot_all recorded under its own mode (a custom-object discovery)
    counts as the type's sync: its failure turns the row red and is shown first."""
    record_run("schemas", minutes_ago=5)
    record_run("schemas", mode="discovery", status=SyncHistory.Status.FAILED, minutes_ago=1,
               error="read timeout")
    row = {s.object_type: s for s in status.type_statuses()}["schemas"]
    assert (row.colour, row.cells()["last run"], row.cells()["error"]) == (
        "red", "failed (discovery)", "read timeout")


def test_unscheduled_verify_failed_when_on_a_terminal_then_last_run_red_state_green():
    record_run("contacts", minutes_ago=2)
    record_run("contacts", mode="verify", status=SyncHistory.Status.FAILED, minutes_ago=1)
    out = io.StringIO()
    call_command("hubspot_status", stdout=out, force_color=True)
    line = next(x for x in out.getvalue().splitlines() if x.startswith("contacts"))
    red, green = "\x1b[31;1m", "\x1b[32;1m"  # Django's ERROR and SUCCESS styles
    assert f"{red}failed (verify)" in line and f"{green}fresh" in line


# --- HubSpot's webhooks journal (tests/journal_ops.py; the clock frozen at its NOW) ---------

def journal_fields(response) -> dict[str, str]:
    """The journal panel's fields (their inner HTML), by name; {} when there is none."""
    return dict(re.findall(r'<td data-field="([^"]+)">(.*?)</td>',
                           response.content.decode(), re.S))


@pytest.mark.usefixtures("journal_command", "frozen_now")
def test_journal_set_up_and_read_when_page_opened_then_offset_lag_reads_and_newest_run(
        admin_client):
    set_up_journal(offset="550e8400-e29b-41d4-a716-446655440000",
                   newest_change_at=NOW - timedelta(seconds=42.5),
                   read_at=NOW - timedelta(seconds=4), gap_at=NOW - timedelta(days=2))
    call_command("setup_hubspot_schedule", stdout=io.StringIO())  # the journal every minute
    journal_run(seconds_ago=70)
    newest = journal_run(SyncHistory.Status.FAILED, seconds_ago=4, error="bad page\nat offset")
    response = admin_client.get("/status/")
    fields = journal_fields(response)
    assert fields == {
        "offset": "550e8400-e29b-41d4-a716-446655440000",
        "lag": "42.5 s",
        "last read": "2026-03-02 11:59 (4.0 s ago)",
        "last gap closed": "2026-02-28 12:00 (2 d ago)",
        "newest run": f'<a href="/admin/ingestion/synchistory/{newest.pk}/change/">'
                      "failed 2026-03-02 11:59 (4.0 s ago): bad page</a>",
        "types": "contacts, deals"}
    assert row_class(response, "journal") == "red"  # its newest run failed
    journal_row = rows_by_type(response)["journal"]
    assert 'data-column="last run"><a' in journal_row
    assert 'data-column="next run">—' not in journal_row  # its beat task's next run


@pytest.mark.usefixtures("frozen_now")
def test_journal_set_up_never_read_when_page_and_terminal_shown_then_none_yet(admin_client):
    set_up_journal()
    response = admin_client.get("/status/")
    assert {name: journal_fields(response)[name] for name in (
        "offset", "lag", "last read", "last gap closed", "newest run")} == {
        "offset": "none read yet", "lag": "none yet", "last read": "never",
        "last gap closed": "never", "newest run": "never"}
    assert row_class(response, "journal") == "grey"  # set up: listed before its first run
    out = io.StringIO()
    call_command("hubspot_status", stdout=out)
    tail = out.getvalue().split("\n\n")[-1].splitlines()
    assert tail[0] == "webhooks journal"
    assert [line.split(maxsplit=1)[0] for line in tail[1:]] == [
        "offset", "lag", "last", "last", "newest", "types"]
    assert "  lag              none yet" in tail


def test_journal_not_set_up_when_page_and_terminal_shown_then_nothing_of_it(admin_client):
    record_run("contacts", minutes_ago=1)
    response = admin_client.get("/status/")
    assert "journal-status" not in response.content.decode()
    assert "journal" not in rows_by_type(response)
    out = io.StringIO()
    call_command("hubspot_status", stdout=out)
    assert "journal" not in out.getvalue() and "\n\n" not in out.getvalue()
