"""Behaviour that is about processes: signals, the single-runner lock (and runs racing for it),
exit codes, what a terminal shows. Each test runs `manage.py` in a real subprocess against the
test database."""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from subprocesses import ROOT, current_database_url

from ingestion.models import HubSpotContact, SyncHistory

pytestmark = pytest.mark.django_db(transaction=True)
# What a terminal (or a pipe) shows is not about the database: first database only.
ON_TERMINALS = pytest.mark.once


def manage(hubspot, *args: str, **settings: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": current_database_url(),
           "HUBSPOT_API_BASE_URL": hubspot.url,
           "HUBSPOT_ACCESS_TOKEN": hubspot.token, "HUBSPOT_SEARCH_REQUESTS_PER_SECOND": "50",
           "HUBSPOT_API_VERSION": "legacy",  # the paths the fault scripts below name
           **settings}
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def slow_list_pages(hubspot, seconds: float = 0.4, pages: int = 200) -> None:
    hubspot.control.set_faults(
        script=[{"kind": "slow", "seconds": seconds}] * pages,
        match={"method": "GET", "path_prefix": "/crm/v3/objects/contacts"})


def wait_for(condition, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"process ended early: {process.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


@pytest.mark.parametrize("two_ended", ["true", "false"])  # both ends read, or the list alone
def test_sigterm_mid_run_when_received_then_exit_130_run_failed_and_no_half_batch(hubspot,
                                                                                   two_ended):
    hubspot.control.reset(contacts=3000, seed=2)
    slow_list_pages(hubspot)
    process = manage(hubspot, "sync_hubspot_contacts", "--full", "--batch-size", "200",
                     HUBSPOT_TWO_ENDED_READS=two_ended)
    wait_for(lambda: HubSpotContact.objects.count() >= 200, process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted by SIGTERM" in stderr and "Traceback" not in stderr
    run = SyncHistory.objects.get()
    assert run.status == "failed" and run.watermark is None
    saved = HubSpotContact.objects.count()
    assert saved % 200 == 0  # whole batches only
    assert run.created == saved  # the batch being written when the signal came is counted
    assert f"{saved} records were saved" in stderr and "rolled back" not in stderr


def test_second_sync_of_same_type_when_first_running_then_refused_with_exit_75(hubspot):
    hubspot.control.reset(contacts=2000, seed=2)
    slow_list_pages(hubspot)
    first = manage(hubspot, "sync_hubspot_contacts", "--full", "--batch-size", "100")
    try:
        wait_for(lambda: SyncHistory.objects.filter(status="running").exists(), first)
        second = manage(hubspot, "sync_hubspot_contacts", "--full")
        _, stderr = second.communicate(timeout=60)
        assert second.returncode == 75
        assert "already running" in stderr and "Traceback" not in stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)


def test_abandoned_run_when_process_died_then_next_run_proceeds_and_marks_it_abandoned(hubspot):
    slow_list_pages(hubspot, seconds=5.0, pages=20)  # the victim stays running (small portal)
    victim = manage(hubspot, "sync_hubspot_contacts", "--full", "--batch-size", "100")
    wait_for(lambda: SyncHistory.objects.filter(status="running").exists(), victim)
    victim.kill()  # SIGKILL: no chance to clean up
    victim.communicate(timeout=30)
    hubspot.control.clear_faults()
    process = manage(hubspot, "sync_hubspot_contacts", "--full")
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    statuses = list(SyncHistory.objects.order_by("id").values_list("status", flat=True))
    assert statuses == ["abandoned", "success"]
    assert stdout.strip().splitlines()[-1].startswith("contacts: fetched=")


def run_on_terminal(hubspot, *args: str, answer: str = "") -> tuple[int, str]:
    """Run manage.py with stdin/stdout/stderr on a pseudo-terminal, as a user at a shell."""
    import pty
    import select

    leader, follower = pty.openpty()
    env = {**os.environ, "DATABASE_URL": current_database_url(),
           "HUBSPOT_API_BASE_URL": hubspot.url, "HUBSPOT_ACCESS_TOKEN": hubspot.token}
    process = subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                               stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    if answer:
        os.write(leader, answer.encode())
    output = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        try:
            chunk = os.read(leader, 4096) if ready else b""
        except OSError:  # the child closed the terminal
            chunk = b""
        if not chunk:
            break
        output += chunk
    os.close(leader)
    return process.wait(timeout=60), output.decode(errors="replace")


@ON_TERMINALS
def test_terminal_when_syncing_then_progress_bar_shown(hubspot):
    code, output = run_on_terminal(hubspot, "sync_hubspot_contacts", "--full")
    assert code == 0, output
    assert "contacts: fetched=" in output
    bar = [part for part in output.split("\r") if " rec" in part][-1]
    # The total counts live and archived records: the bar ends at 100% of what was read,
    # in whole numbers (no "1.2k", no "12.34 rec/s").
    done = re.search(r"100%\|.*\| (\d+)/(\d+) rec \[.*?, (\d+) rec/s, saved=", bar)
    assert done and done[1] == done[2], bar
    assert not re.search(r"\d\.\d|\dk\b", bar), bar
    assert "progress: contacts" not in output  # the bar, not log lines besides it


@ON_TERMINALS
def test_not_a_terminal_when_syncing_then_no_progress_output(hubspot):
    process = manage(hubspot, "sync_hubspot_contacts", "--full")
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0
    assert stderr == "" and stdout.count("\n") == 1


@ON_TERMINALS
def test_not_a_terminal_when_progress_interval_short_then_lines_on_stderr(hubspot):
    """cron or a pipe: progress lines through the configured logging, with no setup. (The
    interval is shorter than any batch takes; tests/progress fix the clock instead.)"""
    process = manage(hubspot, "sync_hubspot_contacts", "--full", "--batch-size", "10",
                     HUBSPOT_PROGRESS_LOG_SECONDS="0.000001")
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    lines = [line for line in stderr.splitlines() if "progress: contacts" in line]
    assert lines and all(" INFO ingestion.progress progress: contacts records=" in line
                         for line in lines), stderr
    assert re.search(r"records=\d+ expected=\d+ rate=\d+/s eta=\d+s$", lines[-1])


@ON_TERMINALS
def test_force_on_terminal_when_user_declines_then_cancelled_and_nothing_written(hubspot):
    code, output = run_on_terminal(hubspot, "sync_hubspot_contacts", "--full",
                                   "--force-overwrite", answer="no\n")
    assert code == 1 and "cancelled" in output.lower()
    assert "WARNING: --force-overwrite" in output
    assert not HubSpotContact.objects.exists() and not SyncHistory.objects.exists()


@ON_TERMINALS
def test_force_on_terminal_with_noinput_then_no_prompt_and_run_completes(hubspot):
    code, output = run_on_terminal(hubspot, "sync_hubspot_contacts", "--full",
                                   "--force-overwrite", "--noinput")
    assert code == 0, output
    assert "Type 'yes'" not in output and "WARNING: --force-overwrite" in output


RACER = """
import os, sys, time
import django
django.setup()  # warm up first, so every racer reaches the lock at the same instant
from django.core.management import execute_from_command_line
if sys.argv[2]:  # sync_hubspot_all on these types only
    sys.path.insert(0, "tests")
    from sync_all_types import only
    for owner, attribute, value in only(sys.argv[2].split(",")):
        setattr(owner, attribute, value)
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
execute_from_command_line(["manage.py", *sys.argv[3:]])
"""


def race(hubspot, count: int, *args: str, types: tuple[str, ...] = ()
         ) -> list[subprocess.CompletedProcess]:
    """`count` processes running `manage.py *args` (sync_hubspot_all: on `types` if given),
    released at the same instant."""
    start_at = str(time.time() + 4.0)
    env = {**os.environ, "DATABASE_URL": current_database_url(),
           "HUBSPOT_API_BASE_URL": hubspot.url,
           "HUBSPOT_ACCESS_TOKEN": hubspot.token, "HUBSPOT_SEARCH_REQUESTS_PER_SECOND": "50",
           "DJANGO_SETTINGS_MODULE": "config.settings", "HUBSPOT_API_VERSION": "legacy"}
    racers = [subprocess.Popen([sys.executable, "-c", RACER, start_at, ",".join(types), *args],
                               cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True) for _ in range(count)]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=240), *p.communicate())
            for p in racers]


def test_runs_started_in_the_same_instant_then_exactly_one_runs_and_others_exit_75(hubspot):
    hubspot.control.reset(contacts=600, seed=2)
    slow_list_pages(hubspot, seconds=1.0, pages=40)  # the winner holds the lock >= 6 s: a racer
    # slow to start on a busy machine still finds it held (it failed with 0.2 s per page)
    results = race(hubspot, 4, "sync_hubspot_contacts", "--full", "--skip-associations")
    codes = sorted(r.returncode for r in results)
    assert codes == [0, 75, 75, 75], [r.stderr[-500:] for r in results]
    assert all("Traceback" not in r.stderr for r in results)
    assert SyncHistory.objects.filter(object_type="contacts").count() == 1
    assert HubSpotContact.objects.count() == 600


def test_two_sync_all_in_the_same_instant_then_no_type_is_synced_twice_at_once(hubspot):
    hubspot.control.reset(contacts=200, seed=2)
    slow_list_pages(hubspot, seconds=0.3, pages=10)
    results = race(hubspot, 2, "sync_hubspot_all", "--full", "--skip-associations",
                   types=("companies", "contacts", "deals", "lists", "workflows"))
    assert all("Traceback" not in r.stderr for r in results), [r.stderr for r in results]
    assert {r.returncode for r in results} <= {0, 75}
    runs: dict[str, list] = {}
    for run in SyncHistory.objects.order_by("started_at"):
        runs.setdefault(run.object_type, []).append(run)
    for object_type, in_order in runs.items():  # a type may run twice, but never at once
        for earlier, later in itertools.pairwise(in_order):
            assert earlier.finished_at <= later.started_at, object_type
    assert {run.status for runs_of_type in runs.values() for run in runs_of_type} == {"success"}
