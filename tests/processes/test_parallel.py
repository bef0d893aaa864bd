"""`sync_hubspot_all --parallel N`: the types as up to N `manage.py` processes at once on this
machine, definitions first, one table at the end; signals reach every child. On a few types
each (one process per type): --parallel runs the stages that tests/processes/test_fan_out.py
proves hold every type."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest
from subprocesses import ROOT, current_database_url
from sync_all_types import sync_all_argv

from ingestion.models import HubSpotContact, HubSpotDeal, HubSpotPropertyHistory, SyncHistory

# About processes and signals, not the database: run on the first database of the suite only.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.once]


@pytest.fixture
def sync_all(hubspot):
    """Starts `sync_hubspot_all *flags` on `types` (all if None) in a process of its own;
    whatever of it (children included) still runs when the test ends is killed, so a failed
    test leaves nothing writing into the next one's database."""
    started: list[subprocess.Popen] = []

    def start(*flags: str, types: tuple[str, ...] | None, **overrides: str) -> subprocess.Popen:
        env = {**os.environ, "DATABASE_URL": current_database_url(),
               "HUBSPOT_API_BASE_URL": hubspot.url, "HUBSPOT_ACCESS_TOKEN": hubspot.token,
               "HUBSPOT_SEARCH_REQUESTS_PER_SECOND": "50", "HUBSPOT_API_VERSION": "legacy",
               **overrides}
        started.append(subprocess.Popen(
            sync_all_argv(types, *flags), cwd=ROOT, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, start_new_session=True))
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None or process.returncode != 0:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()


# Loaded by every process it is on the path of: each child (not sync_hubspot_all itself)
# prints 999 for every count of its summary lines, and says so in `lied`.
LYING_CHILDREN = """
import os, re, sys
if len(sys.argv) > 1 and sys.argv[1].startswith("sync_hubspot_") and \\
        sys.argv[1] != "sync_hubspot_all":
    class Liar:
        def __init__(self, stream):
            self.stream = stream
        def write(self, text):
            lie = re.sub(r"=\\d+", "=999", text)
            if lie != text:
                open(os.path.join(os.path.dirname(__file__), "lied"), "a").close()
            return self.stream.write(lie)
        def __getattr__(self, name):
            return getattr(self.stream, name)
    sys.stdout = Liar(sys.stdout)
"""


def hold_contacts_list(hubspot, seconds: float) -> None:
    """Every contacts listing request waits `seconds` before it is answered: the contacts
    run stays running while the other types go on (a small portal, kept running by time
    rather than by thousands of records that every other type would then sync too)."""
    # The first (the access check's one record, before the run starts) is let through.
    slow = [{"kind": "slow", "seconds": seconds}] * 20
    hubspot.control.set_faults(script=[{"kind": "pass"}, *slow],
                               match={"method": "GET", "path_prefix": "/crm/v3/objects/contacts"})


def wait_while_running(process: subprocess.Popen, condition, timeout: float = 180) -> None:
    """Until `condition()`; fails if the process ends first or it takes `timeout` seconds
    (the test would go on to signal a run at some other point of it)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"not reached within {timeout:g} s"
        time.sleep(0.1)


def test_parallel_when_a_child_is_killed_then_its_type_failed_rest_overlapped_in_processes(
        hubspot, sync_all, tmp_path):
    # The children's output says 999 everywhere: the table has what they recorded.
    (tmp_path / "sitecustomize.py").write_text(LYING_CHILDREN)
    hold_contacts_list(hubspot, seconds=8)
    process = sync_all("--parallel", "3", "--full", PYTHONPATH=str(tmp_path),
                       types=("companies", "contacts", "deals", "tickets", "calls", "lists",
                              "forms"))
    contacts = SyncHistory.objects.filter(object_type="contacts", status="running")
    wait_while_running(process, contacts.exists)
    others_done = SyncHistory.objects.filter(status="success",
                                             finished_at__gt=contacts.get().started_at)
    wait_while_running(process, others_done.exists)  # another process's run, meanwhile
    os.kill(contacts.get().pid, signal.SIGKILL)  # as the OOM killer would
    hubspot.control.clear_faults()
    out, err = process.communicate(timeout=240)
    assert process.returncode == 1, err[-2000:]
    table = out[out.index("\ntype ") + 1:].splitlines()[1:]
    statuses = {line.split()[0]: line.split()[-1] for line in table}
    assert statuses.pop("contacts") == "failed"
    assert {"properties", "deals", "calls", "lists", "forms"} <= set(statuses)  # the rest went on
    assert set(statuses.values()) == {"success"}, statuses
    assert "sync_hubspot_contacts: exit 1: its process was killed by SIGKILL" in err
    assert SyncHistory.objects.get(object_type="contacts").status == "abandoned"
    assert (tmp_path / "lied").exists() and "=999" not in out
    deals = next(line.split() for line in table if line.startswith("deals "))
    assert int(deals[2]) == HubSpotDeal.objects.count() > 0  # created
    assert f"deals: fetched={HubSpotDeal.objects.count()} " in out
    runs = SyncHistory.objects.filter(status="success").exclude(object_type__in=(
        "properties", "owners", "pipelines", "pipeline_stages"))
    assert runs.values("pid").distinct().count() > 3  # one process per type
    spans = sorted(runs.values_list("started_at", "finished_at"))
    # Overlap: another type's run finished in another process while the held contacts run
    # (killed only then) was running (the quick ones alone may run back to back).
    held = SyncHistory.objects.get(object_type="contacts")
    assert any(held.started_at < finished < held.finished_at for _, finished in spans)
    properties_done = SyncHistory.objects.get(object_type="properties").finished_at
    assert properties_done <= spans[0][0]  # definitions first
    kept = set(HubSpotPropertyHistory.objects.values_list("object_type", "property").distinct())
    assert ("deals", "dealstage") in kept  # the children keep the stages' history by default


def test_parallel_child_when_stage_history_off_in_environment_then_keeps_none(
        hubspot, monkeypatch):
    from ingestion.management.fan_out import child_environment

    # A child of --parallel, with the environment the fan-out gives it (the default, on, is
    # checked in the children's run above; --on-workers' workers read their own).
    monkeypatch.setenv("HUBSPOT_STAGE_HISTORY", "false")
    env = {**child_environment(3), "DATABASE_URL": current_database_url(),
           "HUBSPOT_API_BASE_URL": hubspot.url, "HUBSPOT_ACCESS_TOKEN": hubspot.token,
           "HUBSPOT_API_VERSION": "legacy"}
    child = subprocess.run([sys.executable, "manage.py", "sync_hubspot_deals",
                            "--skip-associations", "--noinput"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=180)
    assert child.returncode == 0, child.stderr[-2000:]
    assert HubSpotDeal.objects.exists() and not HubSpotPropertyHistory.objects.exists()


def test_parallel_when_terminated_then_every_child_stops_and_exit_130(hubspot, sync_all):
    hubspot.control.reset(contacts=3000, seed=2)
    hubspot.control.set_faults(script=[{"kind": "slow", "seconds": 0.3}] * 400,
                               match={"method": "GET", "path_prefix": "/crm/v3/objects/"})
    process = sync_all("--parallel", "2", "--full", "--list-only", "--batch-size", "100",
                       types=("contacts", "deals"))
    # Signalled while the contacts run is under way (its first batch saved, 29 slow pages
    # to go): a child still starting, or checking its access, has no run to record failed.
    contacts = SyncHistory.objects.filter(object_type="contacts", status="running")
    wait_while_running(process, lambda: contacts.exists() and HubSpotContact.objects.exists())
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err[-2000:]
    assert not SyncHistory.objects.filter(status="running").exists()
    run = SyncHistory.objects.get(object_type="contacts")
    assert (run.status, run.error_message) == ("failed", "SyncInterrupted: interrupted by SIGTERM")


def test_parallel_when_signalled_while_a_child_starts_then_it_stops_too_and_no_other_starts(
        monkeypatch):
    """The signal lands after a child is started and before it is among those the signal is
    passed on to (it once ran its whole type, and the next child was started too)."""
    from ingestion.management import fan_out

    monkeypatch.setenv("HUBSPOT_API_BASE_URL", "http://127.0.0.1:9")  # should a child go on
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-test")
    started = []

    def start_then_signalled(args, *rest):
        child = start(args, *rest)
        started.append(args[0])  # the command (then its flags)
        os.kill(os.getpid(), signal.SIGTERM)  # handled here, before `child` is returned
        return child

    start = fan_out._start
    monkeypatch.setattr(fan_out, "_start", start_then_signalled)
    reports = fan_out.run_stage_locally(("sync_hubspot_owners", "sync_hubspot_pipelines"),
                                        dict.fromkeys(fan_out.FORWARDED), parallel=2)
    assert started == ["sync_hubspot_owners"]
    assert [(r.command, r.exit_code, r.error) for r in reports] == [
        ("sync_hubspot_owners", 130, "interrupted while starting"),
        ("sync_hubspot_pipelines", 130, "not started: interrupted")]


@pytest.mark.parametrize(("variable", "value", "said"), [
    ("HUBSPOT_API_BASE_URL", "http://127.0.0.1:9", "HubSpot at http://127.0.0.1:9"),
    ("HUBSPOT_ACCESS_TOKEN", "pat-na1-revoked", "HubSpot refused the access token"),
])
def test_parallel_when_hubspot_unreachable_or_token_refused_then_one_line_nothing_started(
        sync_all, variable, value, said):
    process = sync_all("--parallel", "3", types=None, **{variable: value})
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    assert len(err.strip().splitlines()) == 1 and said in err and "nothing was started" in err
    assert out == "" and not SyncHistory.objects.exists()


def test_parallel_when_below_one_then_usage_error(sync_all):
    process = sync_all("--parallel", "0", types=None)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2 and "--parallel" in err and "Traceback" not in err


@pytest.mark.parametrize(("parallel", "redis_url", "expected"), [
    (3, "", "1"),  # 5 // 3: three processes never exceed search's 5 per second
    (2, "", "2"),
    (1, "", "5"),  # one process keeps the whole budget
    (3, "redis://127.0.0.1:6379/0", "5"),  # shared in Redis: each takes from the whole
])
def test_parallel_processes_split_search_budget_unless_shared(settings, monkeypatch, parallel,
                                                              redis_url, expected):
    from ingestion.management.fan_out import child_environment

    monkeypatch.setenv("HUBSPOT_SEARCH_REQUESTS_PER_SECOND", "5")
    settings.HUBSPOT_SEARCH_REQUESTS_PER_SECOND = 5
    settings.HUBSPOT_RATE_LIMIT_REDIS_URL = redis_url
    assert child_environment(parallel)["HUBSPOT_SEARCH_REQUESTS_PER_SECOND"] == expected


def test_parallel_unpaced_search_stays_unpaced(settings, monkeypatch):
    from ingestion.management.fan_out import child_environment

    monkeypatch.delenv("HUBSPOT_SEARCH_REQUESTS_PER_SECOND", raising=False)
    settings.HUBSPOT_SEARCH_REQUESTS_PER_SECOND = 0  # 0: unpaced (a local emulator)
    settings.HUBSPOT_RATE_LIMIT_REDIS_URL = ""
    assert "HUBSPOT_SEARCH_REQUESTS_PER_SECOND" not in child_environment(3)
