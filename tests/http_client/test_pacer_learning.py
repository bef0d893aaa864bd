"""The general pacer counts requests HubSpot's headers show that it did not send (another
client, or searches on a portal where they count in the ten-secondly window)."""

from ingestion.sync.hubspot.pacing import SlidingWindowPacer


class Clock:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def headers(limit: int, remaining: int) -> dict:
    return {"x-hubspot-ratelimit-max": str(limit),
            "x-hubspot-ratelimit-interval-milliseconds": "10000",
            "x-hubspot-ratelimit-remaining": str(remaining)}


def test_pacer_when_headers_show_others_requests_then_waits_for_them():
    clock = Clock()
    pacer = SlidingWindowPacer(10, 10.0, clock=clock, sleep=clock.sleep)
    started = pacer.acquire()
    pacer.complete(started)
    pacer.observe(headers(10, 4), safety_margin=0)  # 6 used: ours and 5 unseen
    for _ in range(4):  # 10 in the window with these
        pacer.acquire()
    assert clock.slept == []
    pacer.acquire()  # the 11th: it must wait for the window to move
    assert clock.slept and clock.slept[0] > 9


def test_pacer_when_headers_match_its_own_requests_then_no_extra_wait():
    clock = Clock()
    pacer = SlidingWindowPacer(10, 10.0, clock=clock, sleep=clock.sleep)
    for n in range(3):
        pacer.complete(pacer.acquire())
        pacer.observe(headers(10, 10 - (n + 1)), safety_margin=0)
    for _ in range(7):
        pacer.acquire()
    assert clock.slept == []
