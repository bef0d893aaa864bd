"""HubSpot's webhooks journal in the operators' tools: setup_hubspot_schedule reads it every
minute once it is set up (the incremental sync hourly then) and moves back when it is
removed; /health/ judges its runs like a scheduled type's; /metrics shows its lag, last read,
last gap and offset. Without the journal nothing of it appears. The clock is frozen."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from journal_ops import (  # noqa: F401 (fixtures)
    NOW,
    frozen_now,
    journal_command,
    journal_run,
    set_up_journal,
)
from prometheus_client.parser import text_string_to_metric_families

from ingestion.models import JournalState, SyncHistory
from ingestion.ops.schedules import (
    DEFAULT_SCHEDULE,
    INCREMENTAL_TASK_NAME,
    JOURNAL_COMMAND,
    JOURNAL_SCHEDULE,
    JOURNAL_TASK_NAME,
    SYNC_TASK,
    scheduled_intervals,
    scheduled_runs,
)
from ingestion.tasks import SyncFailed, sync_hubspot, typed_flags

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("journal_command", "frozen_now")]
TOKEN = "scrape-secret-j"


def setup(*flags: str) -> list[str]:
    out = io.StringIO()
    call_command("setup_hubspot_schedule", *flags, stdout=out)
    return out.getvalue().splitlines()


def snapshot() -> list[tuple]:
    return list(PeriodicTask.objects.order_by("name").values_list(
        "name", "task", "kwargs", "enabled", "interval_id", "crontab_id", "expire_seconds"))


def every_minutes(name: str) -> int:
    interval = PeriodicTask.objects.get(name=name).interval
    assert interval.period == IntervalSchedule.MINUTES
    return interval.every


def verbs(lines: list[str]) -> dict[str, str]:
    """{task name: what was done}, from the command's `<verb>: '<name>' …` lines."""
    return {line.split("'")[1]: line.split(":")[0] for line in lines}


# --- the schedule ---------------------------------------------------------------------------

def test_schedule_when_journal_set_up_then_read_every_minute_and_incremental_hourly():
    set_up_journal()
    assert all(line.startswith("created: ") for line in setup())
    assert PeriodicTask.objects.count() == len(JOURNAL_SCHEDULE) == len(DEFAULT_SCHEDULE) + 1
    journal = PeriodicTask.objects.get(name=JOURNAL_TASK_NAME)
    assert (journal.task, json.loads(journal.kwargs)) == (
        SYNC_TASK, {"command": "sync_hubspot_changes", "watch": 50})
    assert journal.enabled and every_minutes(JOURNAL_TASK_NAME) == 1
    assert journal.expire_seconds == 55  # a queued read that waited a minute is dropped
    assert every_minutes(INCREMENTAL_TASK_NAME) == 60
    rows = snapshot()
    assert all(line.startswith("kept: ") for line in setup())  # idempotent
    assert snapshot() == rows


def test_schedule_when_journal_set_up_later_then_removed_then_moved_there_and_back():
    setup()
    before = snapshot()
    assert every_minutes(INCREMENTAL_TASK_NAME) == 15
    set_up_journal()
    done = verbs(setup())
    assert (done[INCREMENTAL_TASK_NAME], done[JOURNAL_TASK_NAME]) == ("updated", "created")
    assert list(done.values()).count("kept") == len(DEFAULT_SCHEDULE) - 1
    assert every_minutes(INCREMENTAL_TASK_NAME) == 60
    assert set(verbs(setup()).values()) == {"kept"}

    JournalState.objects.all().delete()  # the journal removed
    lines = setup()
    assert f"removed: {JOURNAL_TASK_NAME!r} (the webhooks journal is not set up)" in lines
    assert verbs(lines)[INCREMENTAL_TASK_NAME] == "updated"
    assert snapshot() == before  # exactly the schedule without the journal
    assert set(verbs(setup()).values()) == {"kept"}


def test_schedule_when_operator_edited_the_incremental_sync_then_kept_unless_reset():
    setup()
    half_hourly, _ = IntervalSchedule.objects.get_or_create(
        every=30, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.filter(name=INCREMENTAL_TASK_NAME).update(interval=half_hourly)
    set_up_journal()
    assert verbs(setup())[INCREMENTAL_TASK_NAME] == "kept"
    assert every_minutes(INCREMENTAL_TASK_NAME) == 30
    assert verbs(setup("--reset"))[INCREMENTAL_TASK_NAME] == "reset"
    assert every_minutes(INCREMENTAL_TASK_NAME) == 60


def test_schedule_when_dry_run_after_the_journal_changed_then_says_so_and_writes_nothing():
    setup()
    set_up_journal()
    before = snapshot()
    done = verbs(setup("--dry-run"))
    assert (done[INCREMENTAL_TASK_NAME], done[JOURNAL_TASK_NAME]) == (
        "would be updated", "would be created")
    assert snapshot() == before
    setup()
    JournalState.objects.all().delete()
    before = snapshot()
    assert (f"would be removed: {JOURNAL_TASK_NAME!r} (the webhooks journal is not set up)"
            in setup("--dry-run"))
    assert snapshot() == before


def test_journal_task_when_scheduled_then_its_flags_typed_and_its_kind_known():
    entry = next(e for e in JOURNAL_SCHEDULE if e.name == JOURNAL_TASK_NAME)
    flags = dict(entry.kwargs)
    assert typed_flags(flags.pop("command"), {"watch": "50"}) == {"watch": 50}
    with pytest.raises(ValueError, match="unknown flags for sync_hubspot_changes: full"):
        typed_flags(JOURNAL_COMMAND, {"full": True})
    with pytest.raises(SyncFailed) as refused:  # as the worker runs it: refused before it ran
        sync_hubspot.apply(kwargs={"command": JOURNAL_COMMAND, "watch": "fifty"}).get()
    assert refused.value.status == 2
    assert refused.value.output == ["--watch: not a valid value: 'fifty'"]
    assert not SyncHistory.objects.exists()
    assert scheduled_runs(SYNC_TASK, entry.kwargs) == ("journal", ("journal",))
    set_up_journal()
    setup()
    intervals = scheduled_intervals()
    assert intervals[("journal", "journal")] == timedelta(minutes=1)
    assert intervals[("sync", "*")] == timedelta(hours=1)


# --- /health/ -------------------------------------------------------------------------------

def health(client, settings) -> tuple[int, dict]:
    settings.METRICS_TOKEN = TOKEN
    response = client.get("/health/", headers={"Authorization": f"Bearer {TOKEN}"})
    return response.status_code, response.json()


@pytest.mark.parametrize(("seconds_ago", "state", "code"), [
    (100, "fresh", 200), (200, "late", 200), (300, "stale", 503)])
def test_health_when_journal_scheduled_then_its_last_read_judged_by_minutes(
        client, settings, seconds_ago, state, code):
    set_up_journal()
    setup()
    journal_run(seconds_ago=seconds_ago)
    status, body = health(client, settings)
    assert (status, body["types"]["journal"]["state"]) == (code, state), body
    assert body["types"]["journal"]["max_age_minutes"] == 4  # every minute: at least 2, x2
    if code == 503:
        assert body["problems"] == ["journal: last successful run 5 min ago (allowed 4 min)"]


def test_health_when_the_newest_journal_run_failed_then_503_naming_it(client, settings):
    set_up_journal()
    setup()
    journal_run(seconds_ago=70)
    failed = journal_run(SyncHistory.Status.FAILED, seconds_ago=5, error="journal page bad")
    status, body = health(client, settings)
    assert status == 503
    assert body["problems"] == [f"journal: latest run failed 0 min ago (run {failed.pk})"]


def test_health_when_journal_not_scheduled_then_its_age_not_judged(client, settings):
    set_up_journal()  # set up, but no beat schedule (cron, or read by hand)
    journal_run(seconds_ago=6 * 3600)
    status, body = health(client, settings)
    assert (status, body["types"]["journal"]["state"]) == (200, "fresh")
    assert body["types"]["journal"]["max_age_minutes"] is None


# --- /metrics -------------------------------------------------------------------------------

def unlabelled(labels: dict) -> tuple:
    """The labels but the implicit portal's (every series has one: tests/ops/test_portals.py)."""
    return tuple(sorted((k, v) for k, v in labels.items() if (k, v) != ("portal", "default")))


def scrape(client) -> dict[tuple, float]:
    text = client.get("/metrics").content.decode()
    return {(s.name, unlabelled(s.labels)): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def journal_samples(samples: dict) -> dict[tuple, float]:
    return {key: value for key, value in samples.items()
            if key[0].startswith("hubspot_mirror_journal_")}


def test_metrics_when_journal_read_then_lag_times_offset_and_counts(client):
    set_up_journal(offset="550e8400-e29b-41d4-a716-446655440000", entries_read=12,
                   events_stored=30, newest_change_at=NOW - timedelta(seconds=42.5),
                   read_at=NOW - timedelta(seconds=4), gap_at=NOW - timedelta(days=2))
    journal_run(seconds_ago=4)
    samples = scrape(client)
    assert journal_samples(samples) == {
        ("hubspot_mirror_journal_lag_seconds", ()): 42.5,
        ("hubspot_mirror_journal_last_read_timestamp_seconds", ()): (
            NOW - timedelta(seconds=4)).timestamp(),
        ("hubspot_mirror_journal_last_gap_timestamp_seconds", ()): (
            NOW - timedelta(days=2)).timestamp(),
        ("hubspot_mirror_journal_offset_info",
         (("offset", "550e8400-e29b-41d4-a716-446655440000"),)): 1,
        ("hubspot_mirror_journal_entries_read_total", ()): 12,
        ("hubspot_mirror_journal_events_stored_total", ()): 30}
    assert samples[("hubspot_mirror_runs_total", (("mode", "changes"), ("object_type", "journal"),
                                                  ("status", "success")))] == 1


def test_metrics_when_journal_set_up_and_never_read_then_no_lag_and_an_empty_offset(client):
    set_up_journal()
    assert journal_samples(scrape(client)) == {
        ("hubspot_mirror_journal_offset_info", (("offset", ""),)): 1,
        ("hubspot_mirror_journal_entries_read_total", ()): 0,
        ("hubspot_mirror_journal_events_stored_total", ()): 0}


def test_metrics_health_and_schedule_when_journal_not_set_up_then_nothing_of_it(
        client, settings):
    assert {line.split("'")[1] for line in setup()} == {e.name for e in DEFAULT_SCHEDULE}
    assert journal_samples(scrape(client)) == {}
    assert "journal" not in health(client, settings)[1]["types"]
