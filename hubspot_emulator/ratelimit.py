"""HubSpot's rate limits for private apps (docs/hubspot-api.md#rate-limits).

Three independent policies:
  TEN_SECONDLY_ROLLING  per-app burst limit over a rolling window (10 s by default);
  SECONDLY              search only: 5 requests per rolling second (docs/hubspot-api.md#search);
  DAILY                 per-account quota, counting every accepted request.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from dataclasses import dataclass

from . import PORTAL_ID

# profile -> (requests per window, default daily quota); "starter" is also HubSpot's free tier.
PROFILES: dict[str, tuple[int, int] | None] = {
    "none": None,
    "free": (100, 250_000),
    "starter": (100, 250_000),
    "pro": (190, 625_000),
    "professional": (190, 625_000),
    "enterprise": (190, 1_000_000),
}
SEARCH_PER_SECOND = 5


@dataclass
class Decision:
    """Whether a request may proceed, the 429 body if not, and the headers to send."""

    allowed: bool
    headers: dict[str, str]
    body: dict | None = None


class RateLimiter:
    def __init__(self, profile: str = "none", daily_limit: int | None = None,
                 window_ms: int = 10_000, search_window_ms: int = 1_000,
                 search_in_window: bool = False, portal_id: int = PORTAL_ID) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown rate-limit profile {profile!r}; use one of {list(PROFILES)}")
        self.profile = profile
        self.portal_id = portal_id  # named in the 429's policy group
        limits = PROFILES[profile]
        self.burst = limits[0] if limits else None
        self.daily_limit = daily_limit if daily_limit is not None else (limits[1] if limits
                                                                         else None)
        # The window is HubSpot's 10 s; tests may shorten it to keep the suite fast.
        self.window_ms, self.search_window_ms = window_ms, search_window_ms
        # HubSpot's specs mark search as exempt from the ten-secondly limit
        # (docs/hubspot-api.md#dated-paths), its docs do not say so outright: *choice*, default
        # exempt; True counts each search in the ten-secondly window too (and refuses it there when
        # the window is full).
        self.search_in_window = search_in_window
        self._burst_log: deque[float] = deque()
        self._search_log: deque[float] = deque()
        self.daily_used = 0

    def _trim(self, log: deque[float], now: float, window_ms: int) -> None:
        edge = now - window_ms / 1000
        while log and log[0] <= edge:
            log.popleft()

    def check(self, is_search: bool, cid: str) -> Decision:
        now = time.monotonic()
        if self.daily_limit is not None and self.daily_used >= self.daily_limit:
            return Decision(False, self._headers(now, is_search), _body(
                "You have reached your daily limit.", "DAILY", cid, requestId=str(uuid.uuid4())))
        if is_search and self.burst is not None:
            self._trim(self._search_log, now, self.search_window_ms)
            if len(self._search_log) >= SEARCH_PER_SECOND:
                return Decision(False, {}, _body("You have reached your secondly limit.",
                                                 "SECONDLY", cid))
            if self.search_in_window:
                self._trim(self._burst_log, now, self.window_ms)
                if len(self._burst_log) >= self.burst:
                    return Decision(False, {}, _body(
                        "You have reached your ten_secondly_rolling limit.",
                        "TEN_SECONDLY_ROLLING", cid))
                self._burst_log.append(now)
            self._search_log.append(now)
        elif self.burst is not None:
            self._trim(self._burst_log, now, self.window_ms)
            if len(self._burst_log) >= self.burst:
                return Decision(False, self._headers(now, False), _body(
                    "You have reached your ten_secondly_rolling limit.", "TEN_SECONDLY_ROLLING",
                    cid, groupName=self._policy_group()))
            self._burst_log.append(now)
        self.daily_used += 1
        return Decision(True, self._headers(now, is_search))

    def _policy_group(self) -> str:
        return f"publicapi:private-app-api-calls-ten-secondly:{self.portal_id}"

    def _headers(self, now: float, is_search: bool) -> dict[str, str]:
        # Search responses carry no rate-limit headers (docs/hubspot-api.md#search); none without a
        # profile.
        if is_search or self.burst is None:
            return {}
        self._trim(self._burst_log, now, self.window_ms)
        secondly = max(1, self.burst // 10)
        last_second = sum(1 for t in self._burst_log if t > now - 1.0)
        daily = self.daily_limit if self.daily_limit is not None else 0
        return {
            "X-HubSpot-RateLimit-Daily": str(daily),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, daily - self.daily_used)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(self.window_ms),
            "X-HubSpot-RateLimit-Max": str(self.burst),
            "X-HubSpot-RateLimit-Remaining": str(max(0, self.burst - len(self._burst_log))),
            "X-HubSpot-RateLimit-Secondly": str(secondly),
            "X-HubSpot-RateLimit-Secondly-Remaining": str(max(0, secondly - last_second)),
        }


def _body(message: str, policy: str, cid: str, **extra: str) -> dict:
    """429 body as documented/observed (docs/hubspot-api.md#rate-limits): no `category`."""
    return {"status": "error", "message": message, "errorType": "RATE_LIMIT",
            "correlationId": cid, "policyName": policy, **extra}
