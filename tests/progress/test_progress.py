"""Progress everywhere (issue 28): a long run reports records so far, rate and ETA where no
terminal is attached (log lines at HUBSPOT_PROGRESS_LOG_SECONDS), on its running
sync_history row as batches commit (so /status/, hubspot_status and /metrics show it), and on
the terminal bar, whose total counts live and archived records, in whole numbers.

No test waits for wall time: the progress clock is replaced by one that moves one second
each time it is read (once when the run starts, once per committed batch)."""

from __future__ import annotations

import io
import logging
import re
import threading

import pytest
from django.core.management import call_command
from sync_commands import run_command
from tqdm import tqdm

from ingestion.base import progress
from ingestion.base.results import SyncCounts, SyncOptions
from ingestion.management.base_hubspot_sync import _show_progress
from ingestion.models import HubSpotContact, SyncHistory
from ingestion.sync.hubspot import links
from ingestion.sync.hubspot.connection import client_from_settings
from ingestion.sync.hubspot.engines.standard import BY_NAME

pytestmark = pytest.mark.django_db(transaction=True)

LINE = re.compile(r"progress: contacts records=(\d+) expected=(\d+) rate=(\d+)/s eta=(\d+)s$")
BATCH = 10
CONTACTS = "/crm/v3/objects/contacts"


class Ticking:
    """A clock that moves one second each time it is read."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


@pytest.fixture
def ticking(monkeypatch) -> Ticking:
    clock = Ticking()
    monkeypatch.setattr(progress, "clock", clock)
    return clock


@pytest.fixture
def lines():
    """The progress lines logged, as the `ingestion` handler would print them."""
    kept: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: kept.append(record.getMessage())
    logger = logging.getLogger("ingestion.progress")
    logger.addHandler(handler)
    yield kept
    logger.removeHandler(handler)


@pytest.fixture
def list_only(settings) -> None:
    # Batches of exactly BATCH records: the two ends' crossing pages repeat a few records,
    # which a run counts once (fine in a run, untidy in exact figures).
    settings.HUBSPOT_TWO_ENDED_READS = False


def upstream_counts() -> tuple[int, int]:
    with client_from_settings() as client:
        live = sum(len(p) for p in client.list_pages("contacts", ["email"]))
        archived = sum(len(p) for p in client.list_pages("contacts", ["email"], archived=True))
    return live, archived


def test_lines_when_no_terminal_then_records_rate_and_eta_each_interval(
        hubspot, settings, ticking, lines, list_only):
    settings.HUBSPOT_PROGRESS_LOG_SECONDS = 2  # every second batch on the ticking clock
    live, archived = upstream_counts()
    run = run_command("sync_hubspot_contacts", "--full", "--batch-size", str(BATCH))
    assert run["contacts"]["fetched"] == live + archived
    parsed = [tuple(map(int, LINE.match(line).groups())) for line in lines]
    batches = -(-(live + archived) // BATCH)
    assert len(parsed) == batches // 2
    for n, (records, expected, rate, eta) in enumerate(parsed, start=1):
        assert records == 2 * n * BATCH  # after batch 2n, 2n seconds in: BATCH records/s
        assert rate == BATCH
        # HubSpot's live count at the start (the census), plus archived ones listed so far
        assert live <= expected <= live + archived and expected >= records
        assert eta == round((expected - records) / BATCH)


def test_lines_when_interval_zero_or_verbosity_zero_then_none(hubspot, settings, ticking,
                                                             lines):
    settings.HUBSPOT_PROGRESS_LOG_SECONDS = 0
    run_command("sync_hubspot_contacts", "--full", "--batch-size", str(BATCH))
    settings.HUBSPOT_PROGRESS_LOG_SECONDS = 1
    run_command("sync_hubspot_contacts", "--full", "--batch-size", str(BATCH),
                "--verbosity", "0")
    assert lines == []
    run_command("sync_hubspot_contacts", "--full", "--batch-size", str(BATCH))
    assert lines  # the same run, interval and verbosity set: lines
    assert logging.getLogger("ingestion.progress").level == logging.INFO  # restored


def test_progress_logger_when_default_settings_then_info_shown_through_ingestion(settings):
    """Cron mail and worker logs show the lines without configuration: INFO passes the
    progress logger, whose records reach the `ingestion` handler (WARNING elsewhere)."""
    assert settings.HUBSPOT_PROGRESS_LOG_SECONDS == 30
    logger = logging.getLogger("ingestion.progress")
    assert logger.isEnabledFor(logging.INFO)
    assert logger.propagate and logging.getLogger("ingestion").handlers
    assert not logging.getLogger("ingestion.sync").isEnabledFor(logging.INFO)


def run_with_callback(callback, **options) -> None:
    """A full contacts run as a terminal runs it: `callback` stands for the bar."""
    with client_from_settings() as client:
        engine = BY_NAME["contacts"](SyncOptions(full=True, batch_size=BATCH, **options),
                                     client=client, on_progress=callback)
        engine.run()


def read_running_row() -> dict | None:
    """The running row's progress as another connection sees it (committed, not only
    written): a thread has its own database connection."""
    seen: list = []

    def read() -> None:
        from django.db import connection
        try:
            seen.append(SyncHistory.objects.get(status="running").progress)
        finally:
            connection.close()

    reader = threading.Thread(target=read)
    reader.start()
    reader.join()
    return seen[0]


def test_running_row_when_batches_commit_then_records_so_far_seen_by_another_connection(
        hubspot, ticking, list_only):
    live, archived = upstream_counts()
    seen: list[tuple[int, dict]] = []
    # A first run creates every record it commits: `created` is what the batches committed
    # (the fetch stage reads ahead of them: `fetched` is more).
    run_with_callback(lambda counts, total: seen.append((counts.created, read_running_row())))
    assert len(seen) == -(-(live + archived) // BATCH)
    for n, (committed, row) in enumerate(seen, start=1):
        assert row["records"] == committed == min(n * BATCH, live + archived)
        assert row["rate"] == pytest.approx(committed / n, abs=0.05)
        assert live <= row["expected"] <= live + archived
        assert row["eta_seconds"] == round(max(row["expected"] - committed, 0) / (committed / n))
    finished = SyncHistory.objects.get()
    assert finished.status == "success" and finished.fetched == live + archived


def test_bar_when_full_read_then_total_counts_live_and_archived(hubspot, api, list_only,
                                                                lines):
    for record in api.get(CONTACTS, params={"limit": 11}).raise_for_status().json()["results"]:
        api.delete(f"{CONTACTS}/{record['id']}").raise_for_status()  # into the recycle bin
    live, archived = upstream_counts()
    assert archived > BATCH
    totals: list[tuple[int, int]] = []
    run_with_callback(lambda counts, total: totals.append((counts.fetched, total)))
    # HubSpot counts live records only (search); the archived ones listed are added: the bar
    # ends at 100% of what the run read, not past it.
    assert totals[-1] == (live + archived, live + archived)
    assert all(live <= total and fetched <= total for fetched, total in totals)
    assert lines == []  # a terminal shows the bar: no lines beside it


def test_bar_when_shown_then_whole_numbers_only():
    out = io.StringIO()
    bar = tqdm(desc="contacts", file=out, ncols=120, bar_format="{desc}: {n} rec{postfix}")
    counts = SyncCounts(fetched=12_345, created=12_000, updated=300, failed=2)
    _show_progress(bar, counts, None)
    assert "contacts: 12345 rec" in out.getvalue()
    _show_progress(bar, counts, 1_234_567)
    shown = out.getvalue().rsplit("\r", 1)[-1]
    assert "12345/1234567 rec" in shown and "saved=12300, failed=2" in shown
    assert re.search(r"\d+ rec/s", shown) and " 1%|" in shown
    assert not re.search(r"\d\.\d|\dk\b|\dM\b", shown)  # no 1.2k, no decimals
    _show_progress(bar, SyncCounts(fetched=1_234_600), 1_234_567)  # created meanwhile
    assert "1234600/1234600 rec" in out.getvalue().rsplit("\r", 1)[-1]
    bar.close()


def running_run() -> SyncHistory:
    """A run in progress as its row looks after a batch (base/progress.py wrote it)."""
    row = SyncHistory.objects.create(object_type="contacts", mode="full",
                                     started_at="2026-01-01T00:00:00Z")
    row.progress = progress.Snapshot(12_000, 40_000, 60.0).as_json()
    row.save()
    return row


def test_status_when_run_in_progress_then_records_rate_and_eta_shown(admin_client):
    running_run()
    expected = "running: 12,000 of 40,000 records, 200/s, 2 min left"
    page = admin_client.get("/status/").content.decode()
    assert expected in page
    out = io.StringIO()
    call_command("hubspot_status", stdout=out)
    row = next(line for line in out.getvalue().splitlines() if line.startswith("contacts "))
    assert expected in row


def test_metrics_when_run_in_progress_then_gauges_by_type(client):
    running_run()
    SyncHistory.objects.create(object_type="deals", mode="incremental",
                               started_at="2026-01-01T00:00:00Z",
                               progress=progress.Snapshot(500, None, 10.0).as_json())
    text = client.get("/metrics").content.decode()
    labels = '{mode="full",object_type="contacts",portal="default"}'
    assert f"hubspot_mirror_running_records{labels} 12000.0" in text
    assert f"hubspot_mirror_running_expected_records{labels} 40000.0" in text
    assert f"hubspot_mirror_running_records_per_second{labels} 200.0" in text
    assert f"hubspot_mirror_running_eta_seconds{labels} 140.0" in text
    deals = '{mode="incremental",object_type="deals",portal="default"}'
    assert f"hubspot_mirror_running_records{deals} 500.0" in text
    assert f"hubspot_mirror_running_eta_seconds{deals}" not in text  # no count: no ETA


# -- jobs that read no records: the link refresh and the deletion check -----------------------

JOB_LINE = re.compile(r"progress: contacts (links|deletions) records=(\d+) expected=(\d+) "
                      r"rate=(\d+)/s eta=(\d+)s$")


@pytest.fixture
def lines_with_rows():
    """Each progress line logged, with the running row's progress as another connection
    saw it when the line was logged (mid-run: the row is still `running`)."""
    kept: list[tuple[str, dict | None]] = []
    handler = logging.Handler()
    handler.emit = lambda record: kept.append((record.getMessage(), read_running_row()))
    logger = logging.getLogger("ingestion.progress")
    logger.addHandler(handler)
    yield kept
    logger.removeHandler(handler)


def stored_contacts(settings, **rows) -> int:
    """A first full run of contacts, quietly: what the jobs then go through (`rows`: the
    stored rows counted, e.g. archived=False)."""
    settings.HUBSPOT_PROGRESS_LOG_SECONDS = 0
    run_command("sync_hubspot_contacts", "--full")
    return HubSpotContact.objects.filter(**rows).count()


def parsed_job_lines(kept: list[tuple[str, dict | None]], job: str) -> list[tuple]:
    parsed = []
    for line, row in kept:
        matched = JOB_LINE.match(line)
        assert matched and matched[1] == job, line
        parsed.append((*map(int, matched.groups()[1:]), row))
    return parsed


def test_link_refresh_when_no_terminal_then_lines_and_running_row_as_chunks_commit(
        hubspot, settings, ticking, lines_with_rows, monkeypatch):
    live = stored_contacts(settings, archived=False)
    chunk = 4  # ids per chunk: ten chunks of the test portal's ~40 contacts
    monkeypatch.setattr(links, "ASSOCIATION_BATCH_MAX", chunk)
    settings.HUBSPOT_PROGRESS_LOG_SECONDS = 2  # every second chunk on the ticking clock
    run_command("sync_hubspot_contacts", "--links-only")
    parsed = parsed_job_lines(lines_with_rows, "links")
    assert len(parsed) == -(-live // chunk) // 2 >= 3
    for n, (records, expected, rate, eta, row) in enumerate(parsed, start=1):
        assert records == min(2 * n * chunk, live) and expected == live  # stored live ids
        per_second = records / (2 * n)  # a chunk a second
        assert rate == round(per_second) and eta == round((live - records) / per_second)
        assert row["records"] == records and row["expected"] == live  # seen mid-run
        assert row["eta_seconds"] == eta
    finished = SyncHistory.objects.get(mode="links")
    assert finished.status == "success" and finished.details["records"] == live


def test_deletion_check_when_no_terminal_then_lines_and_running_row_as_pages_list(
        hubspot, settings, ticking, lines_with_rows, api):
    hubspot.control.reset(contacts=700)  # seven pages of ids (100 a page)
    stored = stored_contacts(settings)
    for record in api.get(CONTACTS, params={"limit": 5}).raise_for_status().json()["results"]:
        api.delete(f"{CONTACTS}/{record['id']}").raise_for_status()  # binned since the sync
    settings.HUBSPOT_PROGRESS_LOG_SECONDS = 2  # every second page of ids on the ticking clock
    run_command("sync_hubspot_contacts", "--deletions")
    parsed = parsed_job_lines(lines_with_rows, "deletions")
    assert len(parsed) >= 3
    counts = [records for records, *_ in parsed]
    assert counts == sorted(set(counts))  # increasing
    for n, (records, expected, rate, eta, row) in enumerate(parsed, start=1):
        assert expected == stored  # the stored rows, live and archived: what both list
        assert rate == round(records / (2 * n))  # a page a second, a line every 2 pages
        assert row["records"] == records and row["expected"] == stored
        assert row["eta_seconds"] == eta
    finished = SyncHistory.objects.get(mode="deletions")
    assert finished.status == "success" and finished.details["archived"] == 5
    assert parsed[-1][0] <= finished.details["live"] + finished.details["archived_upstream"]
