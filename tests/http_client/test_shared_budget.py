"""One rate budget for every process syncing an account (shared_pacing.py): pacers sharing a
Redis window never exceed the limit together, HubSpot's headers reach every one of them, a
Redis that is down leaves each process pacing alone (one warning), and the daily reserve
stops a run like the daily limit (exit 1, nothing lost).

Redis runs at 127.0.0.1:6379 in CI; each test uses its own key prefix and removes its keys."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import replace

import pytest
import redis
from subprocesses import clean_environment, current_database_url, run_python
from sync_commands import run_command, run_failing

from ingestion.base.history import last_watermark
from ingestion.models import HubSpotContact, SyncHistory
from ingestion.sync.hubspot import shared_pacing
from ingestion.sync.hubspot.client import HubSpotClient
from ingestion.sync.hubspot.connection import limits_from_settings
from ingestion.sync.hubspot.errors import HubSpotDailyLimitError, HubSpotDailyReserveError
from ingestion.sync.hubspot.limits import ClientLimits
from ingestion.sync.hubspot.pacing import LocalBudget
from ingestion.sync.hubspot.shared_pacing import RedisBudget

# Redis keys of the shared budget: not run beside the other modules that use Redis.
pytestmark = pytest.mark.xdist_group("outside-state")
# Pacers, Redis and start-up settings, no database: those tests run on the first database of
# the suite only.
NO_DATABASE = pytest.mark.once

REDIS_URL = "redis://127.0.0.1:6379/0"
RESERVE_MESSAGE = ("paused: 50% of the daily limit is kept for other apps "
                   "(HUBSPOT_DAILY_RESERVE_PERCENT)")


@pytest.fixture
def shared_redis():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379 (CI has one)")
    yield client
    client.close()


@pytest.fixture
def prefix(shared_redis, monkeypatch):
    """A key prefix of this test's own (also for budgets built from settings); its keys are
    removed afterwards."""
    name = f"test-rate-{uuid.uuid4().hex[:12]}"
    monkeypatch.setattr(shared_pacing, "DEFAULT_PREFIX", name)
    yield name
    for key in shared_redis.scan_iter(f"{name}:*"):
        shared_redis.delete(key)


class FakeClock:
    """One clock for every pacer: sleeping moves it on."""

    def __init__(self):
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def limits(**overrides) -> ClientLimits:
    """The configured limits, unpaced unless `overrides` say otherwise."""
    return replace(limits_from_settings(), **{"general_per_10s": None, "search_per_s": None,
                                              **overrides})


def budget(client, prefix, clock=None, **overrides) -> RedisBudget:
    return RedisBudget(client, "acct", limits(**overrides), prefix=prefix, clock=clock,
                       sleep=clock.sleep if clock else time.sleep)


def most_in_any_window(starts: list[float], window_s: float) -> int:
    starts = sorted(starts)
    return max(sum(1 for t in starts[i:] if t < s + window_s) for i, s in enumerate(starts))


# -- the shared window ------------------------------------------------------------------------

@NO_DATABASE
def test_two_pacers_when_sharing_one_window_then_never_over_the_limit_together(shared_redis,
                                                                                prefix):
    clock = FakeClock()
    first, second = (budget(shared_redis, prefix, clock, general_per_10s=10) for _ in range(2))
    starts = []
    for i in range(60):  # they take turns, each as fast as it may
        pacer = first if i % 2 else second
        ticket = pacer.acquire()
        starts.append(clock.now)
        clock.now += 0.01  # the answer came
        pacer.complete(ticket)
    assert most_in_any_window(starts, 10.0) == 10
    # 60 requests at 10 per (10 s + margin): the 6th window opens after 5 whole windows
    assert clock.now - 1_000_000.0 == pytest.approx(5 * 10.06, abs=0.2)


@NO_DATABASE
def test_search_window_when_shared_then_five_per_second_for_both(shared_redis, prefix):
    clock = FakeClock()
    first, second = (budget(shared_redis, prefix, clock, search_per_s=5)
                     for _ in range(2))
    starts = []
    for i in range(20):
        (first if i % 2 else second).acquire(search=True)
        starts.append(clock.now)
    assert most_in_any_window(starts, 1.0) == 5


@NO_DATABASE
def test_two_clients_when_syncing_at_once_in_real_time_then_no_429(hubspot, shared_redis,
                                                                   prefix):
    hubspot.control.reset(contacts=1500, seed=4)
    hubspot.control.set_rate_limit("starter", window_ms=1000)  # 100 per 1 s, from headers
    clients = [HubSpotClient(hubspot.url, hubspot.token, limits=limits(max_attempts=2),
                             budget=budget(shared_redis, prefix)) for _ in range(2)]
    counts = [0, 0]

    def page_through(i: int) -> None:
        for page in clients[i].list_pages("contacts", ["email"], page_size=10):
            counts[i] += len(page)

    threads = [threading.Thread(target=page_through, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    stats = hubspot.control.stats()
    assert counts[0] == counts[1] > 1400 and stats["requests"] > 200  # > 2 windows
    assert stats["by_status"].get("429", 0) == 0


# -- HubSpot's headers reach every process ------------------------------------------------------

@NO_DATABASE
def test_headers_when_one_pacer_reads_them_then_the_other_paces_by_them(shared_redis, prefix):
    clock = FakeClock()
    reader, other = budget(shared_redis, prefix, clock), budget(shared_redis, prefix, clock)
    reader.observe({"x-hubspot-ratelimit-max": "4",
                    "x-hubspot-ratelimit-interval-milliseconds": "2000"})
    for _ in range(4):  # 4 - 1 (safety margin) = 3 free slots in a 2 s window
        other.acquire()
    assert clock.slept == [pytest.approx(2.05)]


@NO_DATABASE
def test_remaining_zero_when_seen_by_one_then_everyone_waits_a_whole_window(shared_redis,
                                                                          prefix):
    clock = FakeClock()
    reader, other = budget(shared_redis, prefix, clock), budget(shared_redis, prefix, clock)
    reader.observe({"x-hubspot-ratelimit-max": "100",
                    "x-hubspot-ratelimit-interval-milliseconds": "10000",
                    "x-hubspot-ratelimit-remaining": "0"})
    other.acquire()
    assert clock.slept == [pytest.approx(10.05)]


@NO_DATABASE
def test_daily_remaining_when_one_saw_it_at_the_reserve_then_the_other_stops(shared_redis,
                                                                            prefix):
    clock = FakeClock()
    reader = budget(shared_redis, prefix, clock, daily_reserve_percent=20)
    other = budget(shared_redis, prefix, clock, daily_reserve_percent=20)
    reader.observe({"x-hubspot-ratelimit-daily": "1000",
                    "x-hubspot-ratelimit-daily-remaining": "201"})
    other.acquire(search=True)  # search counts too: 200 left now, the reserve
    with pytest.raises(HubSpotDailyReserveError, match="20% of the daily limit is kept") as err:
        reader.acquire()
    assert isinstance(err.value, HubSpotDailyLimitError) and "200 of 1000" in str(err.value)


@NO_DATABASE
def test_reserve_count_when_not_confirmed_for_a_minute_then_one_request_reads_it_again(
        shared_redis, prefix):
    clock = FakeClock()
    first, second = (budget(shared_redis, prefix, clock, daily_reserve_percent=20)
                     for _ in range(2))
    first.observe({"x-hubspot-ratelimit-daily": "1000",
                   "x-hubspot-ratelimit-daily-remaining": "100"})
    with pytest.raises(HubSpotDailyReserveError):
        first.acquire()
    clock.now += 61  # HubSpot's day may have turned meanwhile
    second.acquire()  # the one probe: its answer's headers say the new count
    with pytest.raises(HubSpotDailyReserveError):
        first.acquire()  # no second probe within the minute
    second.observe({"x-hubspot-ratelimit-daily": "1000",
                    "x-hubspot-ratelimit-daily-remaining": "1000"})
    first.acquire()


@NO_DATABASE
def test_window_when_it_holds_entries_from_the_future_then_ignored_and_logged_once(
        shared_redis, prefix, monkeypatch, caplog):
    monkeypatch.setattr(shared_pacing, "_future_logged", threading.Event())
    clock = FakeClock()
    first, second = (budget(shared_redis, prefix, clock, general_per_10s=2) for _ in range(2))
    future_ms = int(clock.now * 1000) + 999_998_000  # left by a clock that ran ahead
    shared_redis.zadd(first.keys["general"], {"ahead-1": future_ms, "ahead-2": future_ms})
    with caplog.at_level(logging.WARNING, logger="ingestion.hubspot.http"):
        first.acquire()
        second.acquire()
        assert clock.slept == []  # the two slots of the window were free
        first.acquire()  # the window holds the two real requests: one window's wait
        shared_redis.zadd(first.keys["general"], {"ahead-3": future_ms})
        second.acquire()  # one real request in the window: a free slot
    assert clock.slept == [pytest.approx(10.05)]
    assert shared_redis.zscore(first.keys["general"], "ahead-3") is None
    warnings = [r.getMessage() for r in caplog.records if "future" in r.getMessage()]
    assert len(warnings) == 1 and "2 request time(s)" in warnings[0]


@NO_DATABASE
def test_window_when_an_entry_is_within_the_tolerance_then_it_still_counts(shared_redis,
                                                                           prefix):
    clock = FakeClock()
    pacer = budget(shared_redis, prefix, clock, general_per_10s=1)
    near_ms = int(clock.now * 1000) + shared_pacing.FUTURE_TOLERANCE_MS // 2  # clock jitter
    shared_redis.zadd(pacer.keys["general"], {"near": near_ms})
    pacer.acquire()
    assert clock.slept == [pytest.approx(10.05 + shared_pacing.FUTURE_TOLERANCE_MS / 2000)]


# -- Redis down: each process paces alone ----------------------------------------------------------

@NO_DATABASE
def test_redis_down_when_pacing_then_local_pacing_and_one_warning(caplog):
    nowhere = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    clock = FakeClock()
    pacer = RedisBudget(nowhere, "acct", limits(general_per_10s=2), clock=clock,
                        sleep=clock.sleep)
    with caplog.at_level(logging.WARNING, logger="ingestion.hubspot.http"):
        for _ in range(3):
            pacer.complete(pacer.acquire())
        pacer.observe({"x-hubspot-ratelimit-max": "3"})
    assert isinstance(pacer._local, LocalBudget)
    assert clock.slept == [pytest.approx(10.05)]  # still paced: 2 per 10 s, locally
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1 and "paces itself alone" in warnings[0].getMessage()


@pytest.mark.django_db(transaction=True)
def test_redis_down_when_syncing_then_sync_completes_with_one_warning(hubspot, settings,
                                                                      caplog):
    settings.HUBSPOT_RATE_LIMIT_REDIS_URL = "redis://127.0.0.1:1/0"
    with caplog.at_level(logging.WARNING, logger="ingestion.hubspot.http"):
        run = run_command("sync_hubspot_contacts", "--full")
    assert run["contacts"]["created"] == 40
    assert sum("unreachable" in r.getMessage() for r in caplog.records) == 1


# -- the daily reserve, through a real command ---------------------------------------------------

@pytest.fixture(params=["local", "redis"])
def pacing_mode(request, settings):
    if request.param == "redis":
        request.getfixturevalue("prefix")
        settings.HUBSPOT_RATE_LIMIT_REDIS_URL = REDIS_URL
    else:
        settings.HUBSPOT_RATE_LIMIT_REDIS_URL = ""
    return request.param


@pytest.mark.django_db(transaction=True)
def test_reserve_when_reached_then_run_stops_exit_1_and_watermark_stays(hubspot, settings,
                                                                        pacing_mode):
    hubspot.control.reset(contacts=900, seed=2)
    hubspot.control.set_rate_limit("pro", daily_limit=20)  # 10 kept for other apps at 50%
    settings.HUBSPOT_DAILY_RESERVE_PERCENT = 50
    error, _ = run_failing("sync_hubspot_contacts", "--full", "--batch-size", "100")
    assert error.returncode == 1 and RESERVE_MESSAGE in str(error)
    assert hubspot.control.stats()["requests"] <= 10  # the reserve was never touched
    assert last_watermark("contacts") is None
    assert SyncHistory.objects.get(object_type="contacts").status == "failed"
    # Nothing lost: with the day's budget back, the next run reads everything.
    hubspot.control.set_rate_limit("pro")
    settings.HUBSPOT_DAILY_RESERVE_PERCENT = 0
    assert run_command("sync_hubspot_contacts")["contacts"]["fetched"] == 900
    assert HubSpotContact.objects.count() == 900 and last_watermark("contacts") is not None


@pytest.mark.django_db(transaction=True)
def test_reserve_when_two_processes_share_redis_then_both_exit_1_and_reserve_untouched(
        hubspot, shared_redis):
    hubspot.control.reset(contacts=900, seed=2)
    hubspot.control.set_rate_limit("pro", daily_limit=20)  # 10 kept for other apps
    env = clean_environment(
        DATABASE_URL=current_database_url(), HUBSPOT_API_BASE_URL=hubspot.url,
        HUBSPOT_ACCESS_TOKEN=hubspot.token, HUBSPOT_SEARCH_REQUESTS_PER_SECOND="0",
        HUBSPOT_RATE_LIMIT_REDIS_URL=REDIS_URL, HUBSPOT_DAILY_RESERVE_PERCENT="50")
    forget_account(shared_redis, hubspot)
    try:
        results = [run_python("manage.py", command, "--full", env=env)
                   for command in ("sync_hubspot_contacts", "sync_hubspot_companies")]
    finally:
        forget_account(shared_redis, hubspot)
    for result in results:
        assert result.returncode == 1, result.stderr
        assert RESERVE_MESSAGE in result.stderr and hubspot.token not in result.stderr
    # The second learnt the count from the first through Redis: it sent nothing at all.
    assert hubspot.control.stats()["requests"] <= 10


def forget_account(client, hubspot) -> None:
    """The default prefix's keys of this emulator's account (a subprocess cannot be told
    another prefix)."""
    account = shared_pacing.account_key(hubspot.url, f"token:{hubspot.token}")
    for key in client.scan_iter(f"{shared_pacing.DEFAULT_PREFIX}:{{{account}}}:*"):
        client.delete(key)


@NO_DATABASE
@pytest.mark.parametrize("name, value, expected", [
    ("HUBSPOT_DAILY_RESERVE_PERCENT", "100", "HUBSPOT_DAILY_RESERVE_PERCENT must be below 100"),
    ("HUBSPOT_DAILY_RESERVE_PERCENT", "-1", "HUBSPOT_DAILY_RESERVE_PERCENT must be at least 0"),
    ("REDIS_URL", "http://user:s3cret@cache:6379",
     "HUBSPOT_RATE_LIMIT_REDIS_URL (or REDIS_URL) must be a redis://, rediss:// or unix:// URL"),
])
def test_bad_budget_setting_when_started_then_one_line_error(name, value, expected):
    result = run_python("manage.py", "check", env=clean_environment(**{name: value}))
    assert result.returncode == 1
    assert expected in result.stderr and "s3cret" not in result.stderr


@pytest.mark.django_db(transaction=True)
def test_reserve_when_reached_in_sync_all_then_it_stops_once_instead_of_failing_every_type(
        hubspot, settings):
    hubspot.control.set_rate_limit("pro", daily_limit=40)
    settings.HUBSPOT_DAILY_RESERVE_PERCENT = 50
    error, run = run_failing("sync_hubspot_all", "--full")
    assert error.returncode == 1
    said = run.err + str(error)  # in one line: the command's last
    assert said.count(RESERVE_MESSAGE) == 1 and "the run stopped at" in str(error)
    assert hubspot.control.stats()["requests"] <= 20  # the reserve was never touched
    assert SyncHistory.objects.filter(status="failed").count() == 1  # one type tried
