"""How many requests a client sent, and how many HubSpot answered 429, by endpoint class.

Rate limits bite per endpoint class (search has its own, docs/hubspot-api.md#search, #rate-limits),
so operators want the split: each run records the difference over its lifetime in
`sync_history.details` (`requests`, `rate_limited`, `requests_by_class`, `rate_limited_by_class`),
which the status page and /metrics read. Counted from the fetch thread and the main thread: under
a lock.
"""

from __future__ import annotations

import threading
from collections import Counter

CLASSES = ("list", "search", "batch_read", "associations", "definitions", "oauth", "other")


def endpoint_class(path: str, *, search: bool = False) -> str:
    if search or path.endswith("/search"):
        return "search"
    if "/associations" in path:
        return "associations"
    if path.endswith("/batch/read"):
        return "batch_read"
    if "/oauth" in path:
        return "oauth"
    if any(part in path for part in ("/properties", "/owners", "/pipelines", "schemas")):
        return "definitions"
    return "list" if "/objects" in path else "other"


class RequestStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: Counter[str] = Counter()
        self.rate_limited: Counter[str] = Counter()

    def count(self, path: str, status: int | None, *, search: bool = False) -> None:
        kind = endpoint_class(path, search=search)
        with self._lock:
            self.sent[kind] += 1
            if status == 429:
                self.rate_limited[kind] += 1

    def snapshot(self) -> tuple[Counter, Counter]:
        with self._lock:
            return Counter(self.sent), Counter(self.rate_limited)

    def since(self, before: tuple[Counter, Counter]) -> dict:
        """What was counted after `before` (a snapshot), as a run's details."""
        sent, limited = self.snapshot()
        sent.subtract(before[0])
        limited.subtract(before[1])
        sent, limited = +sent, +limited  # drop zeros
        return {"requests": sum(sent.values()), "rate_limited": sum(limited.values()),
                "requests_by_class": dict(sent), "rate_limited_by_class": dict(limited)}


class CountsRequests:
    """For an engine with a HubSpot `client`: its run records the requests it made."""

    # A snapshot taken before work done for the run ahead of it (the command's access check,
    # which reads the type's properties before the run starts): the run counts from there.
    counting_since: object | None = None

    def source_counters(self) -> object:
        if self.counting_since is not None:
            return self.counting_since
        return self.client.stats.snapshot()

    def source_counters_since(self, snapshot: object) -> dict:
        """The run's requests and 429s, and the account's daily budget as it stood at the
        end (`daily_limit`, `daily_remaining`: from HubSpot's headers, shared or not)."""
        daily_limit, daily_remaining = self.client.budget.daily_state()
        budget = {"daily_limit": daily_limit, "daily_remaining": daily_remaining}
        return {**self.client.stats.since(snapshot),
                **{k: v for k, v in budget.items() if v is not None}}
