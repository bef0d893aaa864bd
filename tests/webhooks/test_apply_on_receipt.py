"""HUBSPOT_WEBHOOK_APPLY_ON_RECEIPT over real HTTP (a live server) and real brokers: the apply
task reaches a broker that works; a broker that refuses or hangs never holds up the answer
(HubSpot allows 5 s), and the events stay pending for the next apply."""

from __future__ import annotations

import logging
import socket
import threading

import httpx
import orjson
import pytest
import redis

from config.celery import app as celery_app
from ingestion.webhooks.enqueue import apply_requests
from webhooks.signing import PATH, SECRET, event, now_ms, pending, sign

pytestmark = [pytest.mark.django_db(transaction=True),
              # a Redis database of the real server: not run beside other Redis users
              pytest.mark.xdist_group("outside-state")]

HUBSPOT_PATIENCE_S = 5.0  # HubSpot gives up on a delivery after this long
TEST_BROKER_DB = "redis://127.0.0.1:6379/14"


@pytest.fixture
def on_receipt(live_server, secret, settings, monkeypatch):
    """The receiver on a live server with apply-on-receipt on; `broker(url)` points the
    Celery app at a broker. No send is left running afterwards."""
    settings.HUBSPOT_WEBHOOK_APPLY_ON_RECEIPT = True
    settings.ALLOWED_HOSTS = ["*"]
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)

    def broker(url: str) -> None:
        monkeypatch.setitem(celery_app.conf, "broker_url", url)

    yield broker
    assert apply_requests.wait(timeout=60), "a send to the broker never ended"


def deliver(url: str, events: list) -> httpx.Response:
    """POST signed events the way HubSpot does, with HubSpot's patience."""
    body, timestamp = orjson.dumps(events), str(now_ms())
    headers = {"X-HubSpot-Request-Timestamp": timestamp, "Content-Type": "application/json",
               "X-HubSpot-Signature-v3": sign(SECRET, "POST", f"{url}{PATH}", body, timestamp)}
    return httpx.post(f"{url}{PATH}", content=body, headers=headers,
                      timeout=HUBSPOT_PATIENCE_S)


@pytest.fixture
def silent_broker():
    """A broker address that accepts TCP connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])  # held open, never read or written
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for connection in [*accepted, server]:
        connection.close()


def test_apply_on_receipt_when_broker_works_then_the_task_is_queued(on_receipt, live_server):
    queue = redis.Redis.from_url(TEST_BROKER_DB, socket_connect_timeout=1)
    try:
        queue.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379 (CI has one)")
    queue.delete("celery")
    on_receipt(TEST_BROKER_DB)
    try:
        assert deliver(live_server.url, [event(1, "contact.creation", 1)]).status_code == 200
        assert apply_requests.wait(timeout=60)
        [message] = queue.lrange("celery", 0, -1)
        assert orjson.loads(message)["headers"]["task"] == "ingestion.apply_hubspot_events"
    finally:
        queue.delete("celery")
        queue.close()


def test_apply_on_receipt_when_broker_refuses_then_200_event_pending_and_warning(
        on_receipt, live_server, caplog):
    on_receipt("redis://127.0.0.1:1/0")  # nothing listens on port 1
    with caplog.at_level(logging.WARNING, logger="ingestion.webhooks"):
        response = deliver(live_server.url, [event(1, "contact.creation", 1)])
        assert apply_requests.wait(timeout=60)
    assert response.status_code == 200 and response.json() == {"stored": 1, "skipped": 0}
    assert [e.event_id for e in pending()] == [1]
    assert "apply task was not enqueued" in caplog.text


def test_apply_on_receipt_when_broker_hangs_then_every_delivery_answered_by_one_sender(
        on_receipt, live_server, silent_broker, caplog):
    on_receipt(silent_broker)
    with caplog.at_level(logging.WARNING, logger="ingestion.webhooks"):
        answers = [deliver(live_server.url, [event(n, "contact.creation", n)])
                   for n in (1, 2, 3)]
        senders = [t for t in threading.enumerate() if t.name == "webhook-apply-enqueue"]
        assert apply_requests.wait(timeout=60)  # short socket timeouts: the send gives up
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len(senders) <= 1  # deliveries during a hung send ask for one more, no new thread
    assert [e.event_id for e in pending()] == [1, 2, 3]
    assert "apply task was not enqueued" in caplog.text
