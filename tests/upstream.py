"""HubSpot's side of a test, read over HTTP from the emulator: every page of a listing
(`pages`, `listing`), and the requests the emulator answered, by path (`requests_by_path`).

Paging as the emulator serves it: the CRM APIs' `paging.next.after` (sent back as `after`, in
the query or, for a search, in the body), and the legacy APIs' `hasMore`/`has-more` with an
`offset`, `vid-offset` or `after` (sent back as `offset`, `vidOffset` or `after`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import httpx

# The legacy answers' cursor field → the parameter that sends it back.
LEGACY_CURSORS = {"vid-offset": "vidOffset", "offset": "offset", "after": "after"}


def next_cursor(page: dict) -> dict | None:
    """The parameter that asks for the page after `page`; None on the last page."""
    after = ((page.get("paging") or {}).get("next") or {}).get("after")
    if after:
        return {"after": after}
    if not page.get("hasMore", page.get("has-more")):
        return None
    for field, parameter in LEGACY_CURSORS.items():
        if field in page:
            return {parameter: page[field]}
    raise AssertionError(f"a page says there is more but names no cursor: {sorted(page)}")


def pages(api: httpx.Client, path: str, params: dict | None = None, *,
          body: dict | None = None) -> Iterator[dict]:
    """Each page of a listing, first to last: GET `path` with `params`, or POST `body` (a
    search) with the cursor in it. A cursor that comes back a second time fails the test."""
    cursor: dict = {}
    sent: set = set()
    while True:
        if body is None:
            response = api.get(path, params={**(params or {}), **cursor})
        else:
            response = api.post(path, params=params, json={**body, **cursor})
        page = response.raise_for_status().json()
        yield page
        cursor = next_cursor(page)
        if cursor is None:
            return
        assert str(cursor) not in sent, f"{path}: the cursor {cursor} came back"
        sent.add(str(cursor))


def listing(api: httpx.Client, path: str, params: dict | None = None, *,
            body: dict | None = None, key: str = "results") -> list:
    """Every entry of a listing (each page's `key`), in the order served."""
    return [entry for page in pages(api, path, params, body=body) for entry in page[key]]


def requests_by_path(emulator, where: Callable[[str], bool] = lambda path: True) -> Counter:
    """The API requests the emulator answered since its last reset, by path (a path never
    requested counts 0); only the paths `where` accepts."""
    by_path = emulator.control.stats()["by_path"]
    return Counter({path: count for path, count in by_path.items() if where(path)})
