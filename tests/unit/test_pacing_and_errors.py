"""Pure functions: the pacer (with a fake clock) and the one place errors are classified."""

import pytest

from ingestion.sync.hubspot.errors import (
    HubSpotAuthError,
    HubSpotClientError,
    HubSpotDailyLimitError,
    HubSpotForbiddenError,
    HubSpotRateLimitError,
    HubSpotRefreshTokenError,
    HubSpotServerError,
    HubSpotUnauthorizedError,
    error_for_response,
)
from ingestion.sync.hubspot.limits import ClientLimits
from ingestion.sync.hubspot.pacing import SlidingWindowPacer

WAIT_S = 120.0  # the longest wait pacing may take (none of these tests comes near it)


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_pacer_when_window_full_then_waits_until_oldest_start_leaves_it():
    clock = FakeClock()
    pacer = SlidingWindowPacer(3, 10.0, margin_s=0.0, clock=clock, sleep=clock.sleep,
                               longest_wait_s=WAIT_S)
    for _ in range(3):
        pacer.acquire()
        clock.now += 1
    pacer.acquire()
    assert clock.slept == [pytest.approx(7.0)]  # first start at 100, window ends at 110


def test_pacer_when_answer_came_late_then_request_counts_from_its_answer():
    clock = FakeClock()
    pacer = SlidingWindowPacer(1, 1.0, margin_s=0.0, clock=clock, sleep=clock.sleep,
                               longest_wait_s=WAIT_S)
    departed = pacer.acquire()
    clock.now += 0.5  # the answer took half a second: HubSpot saw it arrive in between
    pacer.complete(departed)
    pacer.acquire()
    assert clock.slept == [pytest.approx(1.0)]  # a whole window after the answer


def test_pacer_when_headers_announce_limit_then_adopts_it_minus_safety_margin():
    clock = FakeClock()
    pacer = SlidingWindowPacer(None, 10.0, margin_s=0.1, clock=clock, sleep=clock.sleep,
                               longest_wait_s=WAIT_S)
    pacer.observe({"x-hubspot-ratelimit-max": "190",
                   "x-hubspot-ratelimit-interval-milliseconds": "10000"})
    assert (pacer.max_requests, pacer.window_s) == (189, pytest.approx(10.1))


def test_pacer_when_remaining_is_zero_then_next_request_waits_a_whole_window():
    clock = FakeClock()
    pacer = SlidingWindowPacer(5, 1.0, margin_s=0.0, clock=clock, sleep=clock.sleep,
                               longest_wait_s=WAIT_S)
    pacer.observe({"x-hubspot-ratelimit-remaining": "0"})
    pacer.acquire()
    assert clock.slept == [pytest.approx(1.0)]


def test_unpaced_when_no_limit_known_then_never_waits():
    clock = FakeClock()
    pacer = SlidingWindowPacer(None, 10.0, clock=clock, sleep=clock.sleep,
                               longest_wait_s=WAIT_S)
    for _ in range(1000):
        pacer.acquire()
    assert clock.slept == []


@pytest.mark.parametrize("status, body, kind, retriable", [
    (429, {"policyName": "TEN_SECONDLY_ROLLING"}, HubSpotRateLimitError, True),
    (429, {"policyName": "SECONDLY"}, HubSpotRateLimitError, True),
    (429, {"policyName": "DAILY"}, HubSpotDailyLimitError, False),
    (401, {"category": "EXPIRED_AUTHENTICATION"}, HubSpotUnauthorizedError, False),
    (403, {"category": "MISSING_SCOPES"}, HubSpotForbiddenError, False),
    (502, None, HubSpotServerError, True),
    (477, {}, HubSpotServerError, True),
    (400, {"category": "VALIDATION_ERROR"}, HubSpotClientError, False),
])
def test_error_response_when_classified_then_class_says_whether_to_retry(status, body, kind,
                                                                          retriable):
    error = error_for_response(status, body, None)
    assert type(error) is kind and error.retriable is retriable


@pytest.mark.once
def test_auth_errors_when_401_or_403_then_apart_under_one_parent_refresh_token_a_401_kind():
    unauthorized = error_for_response(401, {}, None)
    forbidden = error_for_response(403, {}, None)
    assert isinstance(unauthorized, HubSpotAuthError) and isinstance(forbidden, HubSpotAuthError)
    assert not isinstance(forbidden, HubSpotUnauthorizedError)
    assert not isinstance(unauthorized, HubSpotForbiddenError)
    assert issubclass(HubSpotRefreshTokenError, HubSpotUnauthorizedError)


def test_pacer_when_announced_window_is_a_day_then_refuses_to_wait_past_the_cap():
    from ingestion.sync.hubspot.errors import HubSpotWaitTooLongError

    clock = FakeClock()
    pacer = SlidingWindowPacer(1, 10.0, margin_s=0.0, clock=clock, sleep=clock.sleep,
                               longest_wait_s=120.0)
    pacer.observe({"x-hubspot-ratelimit-max": "2",
                   "x-hubspot-ratelimit-interval-milliseconds": "86400000"})
    pacer.acquire()
    with pytest.raises(HubSpotWaitTooLongError, match="HUBSPOT_MAX_WAIT_SECONDS"):
        pacer.acquire()
    assert clock.slept == []  # it did not sleep a day first


def test_error_message_echoing_the_authorization_header_when_shown_then_token_masked():
    from ingestion.base.redact import redact, register_secret

    register_secret("secret-token-123456")
    error = error_for_response(502, {"message": "proxy saw Authorization: Bearer "
                                                "secret-token-123456 and pat-na1-1234abcd-99"},
                               None)
    shown = str(error)
    assert "secret-token-123456" not in shown and "pat-na1-1234abcd" not in shown
    assert "Bearer [redacted]" in shown
    assert redact("url?token=secret-token-123456&x=1") == "url?token=[redacted]&x=1"


# The general pacer counts requests HubSpot's headers show that it did not send (another
# client, or searches on a portal where they count in the ten-secondly window).

def headers(limit: int, remaining: int) -> dict:
    return {"x-hubspot-ratelimit-max": str(limit),
            "x-hubspot-ratelimit-interval-milliseconds": "10000",
            "x-hubspot-ratelimit-remaining": str(remaining)}


def test_pacer_when_headers_show_others_requests_then_waits_for_them():
    clock = FakeClock()
    pacer = SlidingWindowPacer(10, 10.0, clock=clock, sleep=clock.sleep,
                               longest_wait_s=WAIT_S)
    started = pacer.acquire()
    pacer.complete(started)
    pacer.observe(headers(10, 4), safety_margin=0)  # 6 used: ours and 5 unseen
    for _ in range(4):  # 10 in the window with these
        pacer.acquire()
    assert clock.slept == []
    pacer.acquire()  # the 11th: it must wait for the window to move
    assert clock.slept and clock.slept[0] > 9


def test_pacer_when_headers_match_its_own_requests_then_no_extra_wait():
    clock = FakeClock()
    pacer = SlidingWindowPacer(10, 10.0, clock=clock, sleep=clock.sleep,
                               longest_wait_s=WAIT_S)
    for n in range(3):
        pacer.complete(pacer.acquire())
        pacer.observe(headers(10, 10 - (n + 1)), safety_margin=0)
    for _ in range(7):
        pacer.acquire()
    assert clock.slept == []


def test_budget_when_searches_count_in_window_then_each_search_takes_a_general_slot_too():
    from ingestion.sync.hubspot.pacing import LocalBudget

    clock = FakeClock()
    limits = ClientLimits(timeout_s=30.0, max_attempts=8, backoff_first_s=0.5,
                          longest_wait_s=WAIT_S, general_per_10s=3, search_per_s=100,
                          daily_reserve_percent=0.0)
    budget = LocalBudget(limits, clock=clock, sleep=clock.sleep)
    for _ in range(5):  # exempt (HubSpot's specs): searches leave the general window alone
        budget.complete(budget.acquire(search=True))
    budget.complete(budget.acquire())
    assert clock.slept == []
    budget.search_counts_in_window()  # a search was refused for the ten-secondly window
    budget.complete(budget.acquire(search=True))
    budget.complete(budget.acquire(search=True))
    budget.acquire()  # the window (3) holds the request and the two searches: wait
    assert len(clock.slept) == 1 and clock.slept[0] > 9
