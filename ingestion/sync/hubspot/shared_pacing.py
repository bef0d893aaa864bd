"""One rate budget for every process and machine syncing the same HubSpot account: the
pacer's windows and the daily quota live in Redis (HUBSPOT_RATE_LIMIT_REDIS_URL).

HubSpot counts the ten-secondly limit per app and the daily limit per account
(docs/hubspot-api.md#rate-limits), whichever process sends: two syncs that pace themselves alone
each take the whole budget and meet in 429s. Here every request takes its slot in a shared
sliding-window log (a sorted set of request times), in one atomic Lua script, so processes never
exceed the limit together.

Keys (`<prefix>:{<account>}:general|search|state`) name the account by a hash of the base
URL and the credential (token, or OAuth client id + refresh token), never the credential.
Times are Redis's own clock (`TIME`), so machines whose clocks differ still agree.

Entries from the future (a score more than FUTURE_TOLERANCE_MS ahead of now: Redis's clock
stepped back, e.g. after a failover to a replica whose clock is behind, or a process that
passed a clock of its own) would hold the window shut until then ("would wait 999998 s"):
`ACQUIRE` drops them from the window it reads, and the first process to meet them logs it once.

Redis unreachable → this process falls back to a `LocalBudget` with one warning: a sync
never fails because the shared budget is down (it may then meet 429s, which are retried).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import redis

from .errors import HubSpotDailyReserveError, HubSpotWaitTooLongError
from .limits import GENERAL_WINDOW_S, SEARCH_WINDOW_S, ClientLimits
from .pacing import LocalBudget, _int_header, reserve_message

log = logging.getLogger("ingestion.hubspot.http")

DEFAULT_PREFIX = "hubspot-mirror:rate"
MARGIN_MS = 50  # as SlidingWindowPacer.margin_s: jitter between departure and arrival
STATE_TTL_MS = 10 * 60 * 1000  # learnt limits and the daily count expire when idle
# At the daily reserve, a count this old is read again from HubSpot with one request: the
# day may have turned (HubSpot resets at midnight in the account's time zone, unknown here).
RECHECK_MS = 60 * 1000
# A window entry further ahead of now than this is from the future: dropped (module doc).
FUTURE_TOLERANCE_MS = 1000
_future_logged = threading.Event()  # "logged once per process"

# A slot in the window `KEYS[1]`, or how long to wait for one.
# KEYS: window log, state hash. ARGV: now ms ('' = Redis's clock), window ms, limit ('' =
# learnt from headers or none), member, reserve percent, learn (1: limit and window from
# the state hash), margin ms, recheck ms, future tolerance ms.
# Returns {0, now, dropped}: taken; {1, wait ms, dropped}: full; {-1, remaining, daily}: at
# the daily reserve. `dropped`: entries from the future removed from the window.
ACQUIRE = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local daily = tonumber(redis.call('HGET', KEYS[2], 'daily'))
local left = tonumber(redis.call('HGET', KEYS[2], 'daily_remaining'))
local reserve = tonumber(ARGV[5])
if reserve > 0 and daily and left and left <= math.ceil(daily * reserve / 100) then
  -- A count no header confirmed for a while may be from before HubSpot's daily reset:
  -- let one request through (for everyone) to read it again.
  local seen = tonumber(redis.call('HGET', KEYS[2], 'seen_ms')) or 0
  if now - seen < tonumber(ARGV[8]) then return {-1, left, daily} end
  redis.call('HSET', KEYS[2], 'seen_ms', now)
end
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
if ARGV[6] == '1' then
  window = tonumber(redis.call('HGET', KEYS[2], 'window_ms')) or window
  limit = limit or tonumber(redis.call('HGET', KEYS[2], 'max'))
end
window = window + tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local dropped = redis.call('ZREMRANGEBYSCORE', KEYS[1], '(' .. (now + tonumber(ARGV[9])), '+inf')
local n = redis.call('ZCARD', KEYS[1])
if limit and limit > 0 and n >= limit then
  local edge = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
  return {1, math.max(1, tonumber(edge[2]) + window - now), dropped}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window * 2 + 1000)
if left then redis.call('HINCRBY', KEYS[2], 'daily_remaining', -1) end
return {0, now, dropped}
"""

# The answer came: the request counts from now (HubSpot saw it arrive before), if still there.
COMPLETE = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[2])
return now
"""

# HubSpot's headers, for every process. KEYS: general log, state hash. ARGV: now ms, max,
# interval ms, remaining, daily, daily remaining, safety margin, state ttl ms ('' = absent).
OBSERVE = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[2], 'max', math.max(1, tonumber(ARGV[2]) - tonumber(ARGV[7])))
end
if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], 'window_ms', ARGV[3]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[2], 'daily', ARGV[5]) end
if ARGV[6] ~= '' then redis.call('HSET', KEYS[2], 'daily_remaining', ARGV[6]) end
if ARGV[5] ~= '' or ARGV[6] ~= '' then redis.call('HSET', KEYS[2], 'seen_ms', now) end
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[8]))
local limit = tonumber(redis.call('HGET', KEYS[2], 'max'))
if ARGV[4] ~= '' and tonumber(ARGV[4]) <= 0 and limit then
  -- Apps outside this budget used the window: fill it, so everyone waits a whole window.
  local n = redis.call('ZCARD', KEYS[1])
  for i = n + 1, limit do redis.call('ZADD', KEYS[1], now, 'full:' .. now .. ':' .. i) end
  redis.call('PEXPIRE', KEYS[1], 60000)
end
return 0
"""


def account_key(base_url: str, credential: str) -> str:
    """A stable name for the account's budget that does not reveal the credential."""
    digest = hashlib.sha256(f"{base_url.rstrip('/')}\n{credential}".encode())
    return digest.hexdigest()[:24]


@dataclass(frozen=True)
class _Ticket:
    key: str
    member: str


class RedisBudget:
    """A `RateBudget` shared through Redis by every client with the same `account`.

    `clock` (seconds) is for tests: by default every time is Redis's own."""

    def __init__(self, client: redis.Redis, account: str, limits: ClientLimits, *,
                 prefix: str = DEFAULT_PREFIX, clock: Callable[[], float] | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.redis = client
        self.limits = limits
        base = f"{prefix}:{{{account}}}"  # {…}: one hash slot, so scripts work on a cluster
        self.keys = {"general": f"{base}:general", "search": f"{base}:search",
                     "state": f"{base}:state"}
        self._clock, self._sleep = clock, sleep
        self._scripts = {name: client.register_script(text) for name, text in
                         (("acquire", ACQUIRE), ("complete", COMPLETE), ("observe", OBSERVE))}
        self._local: LocalBudget | None = None
        self._lock = threading.Lock()
        self.search_in_window = False  # learnt: RateBudget.search_counts_in_window

    # -- RateBudget ---------------------------------------------------------------------------

    def acquire(self, search: bool = False) -> object:
        if self._local is None:
            try:
                tickets = [self._acquire_shared(search)]
                if search and self.search_in_window:
                    tickets.append(self._acquire_shared(False))
                return tickets
            except redis.RedisError as error:
                self._fall_back(error)
        return self._local.acquire(search)

    def complete(self, ticket: object) -> None:
        if not (isinstance(ticket, list) and all(isinstance(t, _Ticket) for t in ticket)):
            self._local.complete(ticket)  # taken from the fallback
            return
        for shared in ticket:
            if self._local is not None:
                return
            try:
                self._scripts["complete"](keys=[shared.key], args=[self._now(), shared.member])
            except redis.RedisError as error:
                self._fall_back(error)

    def search_counts_in_window(self) -> None:
        # This process's own finding (each process that meets such a refusal learns it).
        self.search_in_window = True
        if self._local is not None:
            self._local.search_counts_in_window()

    def observe(self, headers: Mapping[str, str]) -> None:
        if self._local is not None:
            self._local.observe(headers)
            return
        values = [_int_header(headers, f"x-hubspot-ratelimit-{name}") for name in
                  ("max", "interval-milliseconds", "remaining", "daily", "daily-remaining")]
        if all(v is None for v in values):
            return  # search answers and errors carry none: nothing learnt
        try:
            self._scripts["observe"](
                keys=[self.keys["general"], self.keys["state"]],
                args=[self._now(), *("" if v is None else v for v in values), 1, STATE_TTL_MS])
        except redis.RedisError as error:
            self._fall_back(error)
            self._local.observe(headers)

    def daily_state(self) -> tuple[int | None, int | None]:
        if self._local is not None:
            return self._local.daily_state()
        try:
            daily, left = self.redis.hmget(self.keys["state"], "daily", "daily_remaining")
        except redis.RedisError:
            return None, None
        return (int(daily) if daily else None), (int(left) if left is not None else None)

    # -- the shared window ----------------------------------------------------------------------

    def _acquire_shared(self, search: bool) -> _Ticket:
        key = self.keys["search" if search else "general"]
        limit = self.limits.search_per_s if search else self.limits.general_per_10s
        window_ms = int(1000 * (SEARCH_WINDOW_S if search else GENERAL_WINDOW_S))
        member = uuid.uuid4().hex
        while True:
            status, *value = self._scripts["acquire"](
                keys=[key, self.keys["state"]],
                args=[self._now(), window_ms, limit or "", member,
                      self.limits.daily_reserve_percent,
                      0 if search else 1, MARGIN_MS, RECHECK_MS, FUTURE_TOLERANCE_MS])
            if status != -1 and value[1]:
                _log_future_entries(key, value[1])
            if status == 0:
                return _Ticket(key, member)
            if status == -1:
                remaining, daily = value
                raise HubSpotDailyReserveError(
                    reserve_message(self.limits.daily_reserve_percent, remaining, daily))
            self._sleep(self._bounded(value[0] / 1000))

    def _bounded(self, wait_s: float) -> float:
        if wait_s > self.limits.longest_wait_s:
            raise HubSpotWaitTooLongError(
                f"the shared rate budget would wait {wait_s:.0f} s for a slot; a run waits "
                f"at most {self.limits.longest_wait_s:.0f} s (HUBSPOT_MAX_WAIT_SECONDS), "
                "so it stops here")
        return wait_s

    def _now(self) -> int | str:
        return int(self._clock() * 1000) if self._clock else ""

    def _fall_back(self, error: Exception) -> None:
        with self._lock:
            if self._local is not None:
                return
            log.warning("the shared HubSpot rate budget in Redis is unreachable (%s): this "
                        "process paces itself alone from now on", type(error).__name__)
            self._local = LocalBudget(self.limits, clock=self._clock or time.monotonic,
                                      sleep=self._sleep)
            self._local.search_in_window = self.search_in_window


def _log_future_entries(key: str, dropped: int) -> None:
    if not _future_logged.is_set():
        _future_logged.set()
        log.warning("the shared HubSpot rate budget held %d request time(s) from the future "
                    "in %s (Redis's clock stepped back?): ignored; logged once per process",
                    dropped, key.rpartition(":")[2])


def redis_budget(url: str, account: str, limits: ClientLimits, **kwargs) -> RedisBudget:
    """A budget on the Redis at `url`, with short timeouts: a Redis that hangs must not hang
    the sync (it falls back instead)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2.0, socket_timeout=2.0)
    return RedisBudget(client, account, limits, **kwargs)
