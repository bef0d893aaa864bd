"""A Python client for the control surface (`/_emulator/...`)."""

from __future__ import annotations

from typing import Any

import httpx


class EmulatorControl:
    """Drive an emulator from tests and benchmarks: `EmulatorControl("http://127.0.0.1:8001")`."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def _post(self, path: str, body: dict | None = None) -> Any:
        response = self._http.post(f"/_emulator/{path}", json=body or {})
        if response.status_code != 200:
            raise RuntimeError(f"emulator control {path} failed: {response.status_code} "
                               f"{response.text}")
        return response.json()

    def reset(self, **kwargs: Any) -> dict:
        """Reseed: contacts, seed, rate_limit, daily_limit, search_lag_ms, max_url_length, ..."""
        return self._post("reset", kwargs)

    def set_clock(self, now_ms: int | None) -> dict:
        """Freeze the clock used to stamp writes (None: back to real time)."""
        return self._post("clock", {"now_ms": now_ms})

    def update(self, object_type: str, id: str | int, properties: dict,
               touch: bool = True) -> dict:
        """Change values upstream; `touch=False` keeps the last-modified time (silent change)."""
        return self._post(f"records/{object_type}/{id}",
                          {"properties": properties, "touch": touch})

    def touch(self, object_type: str, ids: list | None = None, count: int | None = None,
              modified_ms: int | None = None) -> dict:
        """Set last-modified of `ids` (or the first `count` live records) to `modified_ms`."""
        return self._post("touch", {"objectType": object_type, "ids": ids, "count": count,
                                    "modified_ms": modified_ms})

    def put_raw(self, object_type: str, id: str | int, record: Any) -> dict:
        """Serve `record` verbatim for this id (None restores the real record)."""
        return self._post(f"raw/{object_type}/{id}", {"record": record})

    def set_faults(self, script: list[dict] | None = None, rate: float = 0.0,
                   kinds: list[str] | None = None, seed: int = 1,
                   match: dict | None = None) -> dict:
        body: dict[str, Any] = {"script": script or [], "rate": rate, "seed": seed}
        if kinds:
            body["kinds"] = kinds
        if match:
            body["match"] = match
        return self._post("faults", body)

    def clear_faults(self) -> dict:
        return self._post("faults", {})

    def set_rate_limit(self, profile: str, daily_limit: int | None = None,
                       window_ms: int | None = None) -> dict:
        body: dict[str, Any] = {"profile": profile, "daily_limit": daily_limit}
        if window_ms is not None:
            body["window_ms"] = window_ms
        return self._post("rate_limit", body)

    def set_search_lag(self, ms: int) -> dict:
        return self._post("search_lag", {"ms": ms})

    def set_search_limits(self, **limits: int) -> dict:
        """max_groups, max_filters_per_group, max_filters, max_limit, max_body_chars."""
        return self._post("search_limits", limits)

    def stats(self) -> dict:
        return self._http.get("/_emulator/stats").json()

    def health(self) -> dict:
        return self._http.get("/_emulator/health").json()

    def close(self) -> None:
        self._http.close()
