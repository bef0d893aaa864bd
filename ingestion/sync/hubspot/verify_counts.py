"""Is a marketing source's mirror complete? HubSpot's count of its live items (where an
endpoint gives one: `HubSpotSourceSyncEngine.upstream_total`) against the local live rows,
as a recorded verify run (mode `verify`, the type's lock: `runner.run_recorded`).

A count cannot say which items differ (these APIs have no search to drill into, unlike the
record types' check in verify.py): `missing` and `extra` are the difference of the counts,
with no ids. `--fix` runs a full read of the source within the verify run (which replaces
what is stale and archives what HubSpot no longer lists), then counts again.
"""

from __future__ import annotations

from ingestion.base.results import Mode, SyncOptions, SyncResult
from ingestion.base.runner import run_recorded

from .client import HubSpotClient


class CountCheck:
    def __init__(self, engine_class: type, *, client: HubSpotClient, exhaustive: bool = False,
                 fix: bool = False):
        self.engine_class, self.client, self.fix = engine_class, client, fix
        self.engine = engine_class(SyncOptions(), client=client)
        self.result = SyncResult(self.engine.object_type, Mode.VERIFY, SyncOptions())

    def run(self) -> SyncResult:
        return run_recorded(self.result, self._check, flags={"count": True, "fix": self.fix})

    def _check(self, run_row) -> None:
        before = self.client.requests_sent
        hubspot, local = self._counts()
        self.result.details = details(hubspot, local, self.client.requests_sent - before)
        if self.fix and hubspot != local:
            options = SyncOptions(full=True)
            reread = self.engine_class(options, client=self.client).run(within=run_row)
            self.result.counts = reread.counts
            self.result.failures.extend(reread.failures)
            hubspot, local = self._counts()
            self.result.details["fixed"] = {
                **reread.counts.as_dict(), "requests": self.client.requests_sent - before,
                "still_differing": abs(hubspot - local), "exact": hubspot == local,
                "still_differing_ids": []}
            self.result.details["exact"] = hubspot == local

    def _counts(self) -> tuple[int, int]:
        return self.engine.upstream_total(), self.engine.scope().filter(archived=False).count()


def details(hubspot: int, local: int, requests: int) -> dict:
    """As verify.Report.details, without ids (a count names none)."""
    return {"hubspot": hubspot, "local": local, "missing": max(0, hubspot - local),
            "extra": max(0, local - hubspot), "stale": 0, "requests": requests,
            "exact": hubspot == local, "mode": "count", "fixed": None,
            "missing_ids": [], "extra_ids": [], "stale_ids": []}
