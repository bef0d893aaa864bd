"""Rate limits, their headers and 429 bodies (docs/hubspot-api.md#rate-limits); injected faults;
stats."""

from __future__ import annotations

import time

import httpx
import pytest

SEARCH = "/crm/v3/objects/contacts/search"
LIST = "/crm/v3/objects/contacts"
RATE_HEADERS = ["X-HubSpot-RateLimit-Daily", "X-HubSpot-RateLimit-Daily-Remaining",
                "X-HubSpot-RateLimit-Interval-Milliseconds", "X-HubSpot-RateLimit-Max",
                "X-HubSpot-RateLimit-Remaining", "X-HubSpot-RateLimit-Secondly",
                "X-HubSpot-RateLimit-Secondly-Remaining"]


def test_no_profile_when_default_then_no_rate_limit_headers_but_correlation_id(api):
    response = api.get(LIST)
    assert not any(h in response.headers for h in RATE_HEADERS)
    assert response.headers["X-HubSpot-Correlation-Id"]


@pytest.mark.parametrize("profile, burst, daily", [("starter", 100, 250_000),
                                                   ("pro", 190, 625_000),
                                                   ("enterprise", 190, 1_000_000)])
def test_profile_when_set_then_headers_as_hubspot_sends_them(api, emulator, profile, burst,
                                                            daily):
    emulator.control.set_rate_limit(profile)
    headers = api.get(LIST).headers
    assert headers["X-HubSpot-RateLimit-Max"] == str(burst)
    assert headers["X-HubSpot-RateLimit-Remaining"] == str(burst - 1)
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert headers["X-HubSpot-RateLimit-Daily"] == str(daily)
    assert headers["X-HubSpot-RateLimit-Daily-Remaining"] == str(daily - 1)
    assert headers["X-HubSpot-RateLimit-Secondly"] == str(burst // 10)


def test_ten_secondly_when_burst_exceeded_then_429_policy_and_recovers_after_window(
        api, emulator):
    # A window long enough for 101 requests on a loaded machine (the suite runs in parallel).
    emulator.control.set_rate_limit("starter", window_ms=4000)
    statuses = [api.get(LIST, params={"limit": 1}).status_code for _ in range(101)]
    assert statuses.count(200) == 100 and statuses[-1] == 429
    response = api.get(LIST)
    body = response.json()
    assert body["policyName"] == "TEN_SECONDLY_ROLLING" and body["errorType"] == "RATE_LIMIT"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert body["status"] == "error" and "category" not in body
    assert body["correlationId"] == response.headers["X-HubSpot-Correlation-Id"]
    assert response.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert "Retry-After" not in response.headers  # not documented for 429
                                                  # (docs/hubspot-api.md#rate-limits)
    time.sleep(4.05)
    assert api.get(LIST).status_code == 200


def test_search_when_more_than_5_per_second_then_429_secondly_and_no_rate_headers(api,
                                                                                 emulator):
    emulator.control.set_rate_limit("pro")
    responses = [api.post(SEARCH, json={"limit": 1}) for _ in range(6)]
    assert [r.status_code for r in responses] == [200] * 5 + [429]
    body = responses[-1].json()
    assert body["policyName"] == "SECONDLY"
    assert body["message"] == "You have reached your secondly limit."
    assert not any(h in r.headers for r in responses for h in RATE_HEADERS)
    assert api.get(LIST).status_code == 200  # a separate budget from the 10-second one


def test_daily_when_quota_used_then_429_daily_on_every_endpoint(api, emulator):
    emulator.control.set_rate_limit("starter", daily_limit=3)
    assert [api.get(LIST).status_code for _ in range(3)] == [200, 200, 200]
    for response in (api.get(LIST), api.post(SEARCH, json={})):
        body = response.json()
        assert response.status_code == 429 and body["policyName"] == "DAILY"
        assert body["message"] == "You have reached your daily limit." and body["requestId"]


def test_reset_when_rate_limit_given_then_applies(api, emulator):
    emulator.control.reset(contacts=40, rate_limit="enterprise", daily_limit=10)
    headers = api.get(LIST).headers
    assert headers["X-HubSpot-RateLimit-Max"] == "190"
    assert headers["X-HubSpot-RateLimit-Daily-Remaining"] == "9"


# -- faults ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, status", [("429", 429), ("500", 500), ("502", 502),
                                          ("503", 503), ("504", 504)])
def test_fault_when_status_kind_then_json_error_and_request_has_no_effect(api, emulator, kind,
                                                                         status):
    emulator.control.set_faults(script=[{"kind": kind}])
    response = api.patch(f"{LIST}/10000000001", json={"properties": {"firstname": "Faulted"}})
    assert response.status_code == status
    assert response.json()["status"] == "error"
    first = api.get(f"{LIST}/10000000001").json()["properties"]["firstname"]
    assert first != "Faulted"


def test_fault_when_429_on_search_then_secondly_policy(api, emulator):
    emulator.control.set_faults(script=[{"kind": "429"}])
    assert api.post(SEARCH, json={}).json()["policyName"] == "SECONDLY"


def test_fault_when_html_503_then_html_body(api, emulator):
    emulator.control.set_faults(script=[{"kind": "html_503"}])
    response = api.get(LIST)
    assert response.status_code == 503 and response.headers["Content-Type"].startswith(
        "text/html")
    assert "<html>" in response.text


def test_fault_when_malformed_json_then_200_with_truncated_json(api, emulator):
    emulator.control.set_faults(script=[{"kind": "malformed_json"}])
    response = api.get(LIST)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_fault_when_slow_then_delayed_but_answered(api, emulator):
    emulator.control.set_faults(script=[{"kind": "slow", "seconds": 0.3}])
    started = time.monotonic()
    assert api.get(LIST).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_fault_when_drop_then_connection_closed_without_response(api, emulator):
    emulator.control.set_faults(script=[{"kind": "drop"}])
    with pytest.raises(httpx.RemoteProtocolError):
        api.get(LIST)
    assert api.get(LIST).status_code == 200
    assert emulator.control.stats()["by_status"]["dropped"] == 1


def test_fault_script_when_pass_and_match_then_consumed_in_order_by_matching_requests(
        api, emulator):
    emulator.control.set_faults(script=[{"kind": "pass"}, {"kind": "500"}],
                                match={"method": "GET", "path_prefix": "/crm/v3/objects/deals"})
    assert api.get(LIST).status_code == 200  # not matching: consumes nothing
    assert api.get("/crm/v3/objects/deals").status_code == 200  # "pass"
    assert api.get("/crm/v3/objects/deals").status_code == 500
    assert api.get("/crm/v3/objects/deals").status_code == 200  # script used up


def test_fault_rate_when_seeded_then_deterministic_and_counted(api, emulator):
    def run() -> list[int]:
        emulator.control.set_faults(rate=0.5, kinds=["500", "503"], seed=7)
        return [api.get(LIST, params={"limit": 1}).status_code for _ in range(20)]

    first, second = run(), run()
    assert first == second and {500, 503, 200} >= set(first) and 200 in first
    assert emulator.control.stats()["faults_injected"] == 2 * sum(s != 200 for s in first)
    emulator.control.clear_faults()
    assert all(api.get(LIST).status_code == 200 for _ in range(5))


def test_stats_when_requests_made_then_counted_by_status_and_path(api, emulator):
    api.get(LIST)
    api.get(f"{LIST}/1")
    stats = emulator.control.stats()
    assert stats["requests"] == 2
    assert stats["by_status"] == {"200": 1, "404": 1}
    assert stats["by_path"][LIST] == 1
