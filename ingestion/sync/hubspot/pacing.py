"""Client-side pacing, so a sync uses HubSpot's rate budget without leaning on 429s.

HubSpot counts requests in a rolling window (docs/hubspot-api.md#rate-limits): general endpoints per
10 s (100 starter, 190 pro/enterprise), search at 5 per second (docs/hubspot-api.md#search). General
responses say the limit in `X-HubSpot-RateLimit-Max` / `-Interval-Milliseconds` / `-Remaining`;
search responses carry no such headers, so the search pacer has a fixed budget.

The budget a client uses is a `RateBudget`: `LocalBudget` here (one process), or
`shared_pacing.RedisBudget` (every process and machine syncing the same account), chosen by
`connection.client_from_settings()`. Both stop a run at the daily reserve
(HUBSPOT_DAILY_RESERVE_PERCENT) with `HubSpotDailyReserveError`, a `HubSpotDailyLimitError`:
fatal for the run, like the daily limit itself.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Protocol

from .errors import HubSpotDailyReserveError, HubSpotWaitTooLongError
from .limits import GENERAL_WINDOW_S, SEARCH_WINDOW_S, ClientLimits


class SlidingWindowPacer:
    """At most `max_requests` request starts in any `window_s` seconds (None = unpaced).

    HubSpot counts arrivals, we can only see departures and answers. A request is counted
    from its departure until `complete()` moves it to the time its answer came (after its
    arrival, whatever the delays); `margin_s` covers the rest of the jitter."""

    def __init__(self, max_requests: int | None, window_s: float, *, longest_wait_s: float,
                 margin_s: float = 0.05, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.max_requests = max_requests
        self.longest_wait_s = longest_wait_s
        self.margin_s = margin_s
        self.window_s = window_s + margin_s
        self._clock, self._sleep = clock, sleep
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for a free slot in the window; return when the request may leave."""
        with self._lock:
            if not self.max_requests:
                return 0.0
            now = self._clock()
            self._forget_before(now - self.window_s)
            if len(self._starts) >= self.max_requests:
                self._sleep(self._bounded(self._starts[0] + self.window_s - now))
                now = self._clock()
                self._forget_before(now - self.window_s)
            self._starts.append(now)
            return now

    def complete(self, started: float) -> None:
        """The request that left at `started` has its answer: count it from now on."""
        with self._lock:
            try:
                self._starts.remove(started)
            except ValueError:
                return  # already outside the window, or unpaced
            self._starts.append(self._clock())

    def _bounded(self, wait_s: float) -> float:
        """A window announced as hours long (a hostile header) must not make a run sleep
        for hours: past the limit, stop with a message naming the wait."""
        if wait_s > self.longest_wait_s:
            raise HubSpotWaitTooLongError(
                f"pacing would wait {wait_s:.0f} s for HubSpot's rate-limit window "
                f"({self.window_s:.0f} s announced); a run waits at most "
                f"{self.longest_wait_s:.0f} s (HUBSPOT_MAX_WAIT_SECONDS), so it stops here")
        return wait_s

    def _forget_before(self, cutoff: float) -> None:
        while self._starts and self._starts[0] <= cutoff:
            self._starts.popleft()

    def observe(self, headers: Mapping[str, str], safety_margin: int = 1) -> None:
        """Adopt the limit HubSpot announces; if it says none are left, fill the window."""
        limit = _int_header(headers, "x-hubspot-ratelimit-max")
        interval_ms = _int_header(headers, "x-hubspot-ratelimit-interval-milliseconds")
        remaining = _int_header(headers, "x-hubspot-ratelimit-remaining")
        with self._lock:
            if limit:
                self.max_requests = max(1, limit - safety_margin)
            if interval_ms:
                self.window_s = interval_ms / 1000 + self.margin_s
            if remaining is not None and remaining <= 0 and self.max_requests:
                # Other clients of the same app used the budget: wait out a whole window.
                now = self._clock()
                self._starts.extend([now] * (self.max_requests - len(self._starts)))
            elif remaining is not None and limit and self.max_requests:
                # Requests HubSpot counted that this pacer did not send: another client, or
                # searches on a portal where they count in this window too (HubSpot's specs
                # say they do not; the emulator can be told they do). Count them as just sent.
                now = self._clock()
                self._forget_before(now - self.window_s)
                unseen = (limit - remaining) - len(self._starts)
                self._starts.extend([now] * min(max(0, unseen), self.max_requests))


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class RateBudget(Protocol):
    """What the client needs from pacing, local or shared: `acquire()` before a request
    (waits for a slot; raises when the daily reserve is reached), `complete()` once its
    answer came, `observe()` with the answer's headers."""

    def acquire(self, search: bool = False) -> object: ...

    def complete(self, ticket: object) -> None: ...

    def observe(self, headers: Mapping[str, str]) -> None: ...

    def search_counts_in_window(self) -> None:
        """HubSpot refused a search for the ten-secondly window: on this portal searches
        count there too (its specs say they do not), so from now on each search also takes
        a general slot."""

    def daily_state(self) -> tuple[int | None, int | None]:
        """(the account's daily limit, requests left today) as last learnt, if known."""
        ...


def reserve_requests(daily_limit: int, reserve_percent: float) -> int:
    """How many of the day's requests the reserve keeps (rounded up: never less)."""
    return math.ceil(daily_limit * reserve_percent / 100)


def reserve_message(reserve_percent: float, remaining: int, daily_limit: int) -> str:
    return (f"paused: {reserve_percent:g}% of the daily limit is kept for other apps "
            f"(HUBSPOT_DAILY_RESERVE_PERCENT); {remaining} of {daily_limit} requests are left "
            "today. Nothing was lost: the watermark did not move, the next run resumes")


class DailyQuota:
    """The day's remaining requests as HubSpot last said (`X-HubSpot-RateLimit-Daily-
    Remaining`), counted down by every request since (search answers carry no headers)."""

    def __init__(self, reserve_percent: float = 0.0):
        self.reserve_percent = reserve_percent
        self.daily_limit: int | None = None
        self.remaining: int | None = None
        self._lock = threading.Lock()

    def spend(self) -> None:
        """Count one request, or stop the run if it would eat into the reserve."""
        with self._lock:
            if self.reserve_percent and self.daily_limit and self.remaining is not None \
                    and self.remaining <= reserve_requests(self.daily_limit,
                                                           self.reserve_percent):
                raise HubSpotDailyReserveError(reserve_message(
                    self.reserve_percent, self.remaining, self.daily_limit))
            if self.remaining is not None:
                self.remaining -= 1

    def observe(self, headers: Mapping[str, str]) -> None:
        # HubSpot quirk (docs/hubspot-api.md#rate-limits): OAuth apps get no Daily headers, so for
        # them the reserve cannot be known and is not applied.
        daily = _int_header(headers, "x-hubspot-ratelimit-daily")
        remaining = _int_header(headers, "x-hubspot-ratelimit-daily-remaining")
        with self._lock:
            if daily:
                self.daily_limit = daily
            if remaining is not None:
                self.remaining = remaining


class LocalBudget:
    """This process's budget: the general (ten-secondly) and search (secondly) windows and
    the daily quota, in memory. The default when no Redis is configured."""

    def __init__(self, limits: ClientLimits, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.general = SlidingWindowPacer(limits.general_per_10s, GENERAL_WINDOW_S,
                                          longest_wait_s=limits.longest_wait_s,
                                          clock=clock, sleep=sleep)
        self.search = SlidingWindowPacer(limits.search_per_s, SEARCH_WINDOW_S,
                                         longest_wait_s=limits.longest_wait_s,
                                         clock=clock, sleep=sleep)
        self.daily = DailyQuota(limits.daily_reserve_percent)
        self.search_in_window = False  # learnt: RateBudget.search_counts_in_window

    def acquire(self, search: bool = False) -> list[tuple[SlidingWindowPacer, float]]:
        self.daily.spend()
        pacers = [self.search, self.general] if search and self.search_in_window else \
            [self.search if search else self.general]
        return [(pacer, pacer.acquire()) for pacer in pacers]

    def complete(self, ticket: object) -> None:
        for pacer, started in ticket:  # type: ignore[attr-defined]
            pacer.complete(started)

    def search_counts_in_window(self) -> None:
        self.search_in_window = True

    def observe(self, headers: Mapping[str, str]) -> None:
        self.general.observe(headers)
        self.daily.observe(headers)

    def daily_state(self) -> tuple[int | None, int | None]:
        return self.daily.daily_limit, self.daily.remaining
