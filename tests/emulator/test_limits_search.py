"""Whether search counts in the ten-secondly window: exempt by default (HubSpot's specs),
counted when the emulator is told so (a portal where it does)."""

import pytest

pytestmark = pytest.mark.emulator

SEARCH = "/crm/v3/objects/contacts/search"


def remaining_after_searches(emulator, api, searches: int, **profile) -> int:
    emulator.control.set_rate_limit("pro", **profile)
    for _ in range(searches):
        assert api.post(SEARCH, json={"limit": 1}).status_code == 200
    reply = api.get("/crm/v3/objects/contacts", params={"limit": 1})
    return int(reply.headers["X-HubSpot-RateLimit-Remaining"])


def test_search_when_exempt_then_list_budget_untouched(emulator, api):
    assert remaining_after_searches(emulator, api, 4) == 189


def test_search_when_counted_in_window_then_list_budget_shrinks(emulator, api):
    assert remaining_after_searches(emulator, api, 4, search_in_window=True) == 185
