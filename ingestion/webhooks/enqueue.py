"""HUBSPOT_WEBHOOK_APPLY_ON_RECEIPT: ask a worker to apply the events just stored, without the
HTTP answer ever waiting on the broker.

HubSpot allows a delivery 5 seconds. Celery's `delay()` connects to the broker in the caller
and, with the broker down, retries the connection for ~19 s (hung: forever). So the task is
sent from one background thread (`webhook-apply-enqueue`), on a connection of its own with
short socket timeouts, no connection retries and no publish retries, and without subscribing
to the result (nobody waits for it). A delivery that arrives while a send is under way only
asks for one more send after it: however long the broker hangs, there is at most one thread.
Each send names its portal (the task applies that portal's events in its scope); requests
for several portals made during a send become one send each after it.
A send that fails is logged and nothing else: the events are stored and pending, and
`apply_hubspot_events` (cron, beat) or the next delivery's task applies them.
"""

from __future__ import annotations

import logging
import threading

from config.celery import app as celery_app
from ingestion.sync.hubspot.accounts import IMPLICIT

log = logging.getLogger("ingestion.webhooks")

SEND_TIMEOUT_S = 3.0  # connect and each socket operation with the broker
NO_RETRIES = {"max_retries": 0, "socket_timeout": SEND_TIMEOUT_S,
              "socket_connect_timeout": SEND_TIMEOUT_S}


class ApplyRequests:
    """At most one sending thread; requests made while it sends coalesce into one more."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sender: threading.Thread | None = None
        self._asked: set[str] = set()  # the portals whose events wait for a send

    def request(self, portal: str = IMPLICIT) -> None:
        with self._lock:
            self._asked.add(portal)
            if self._sender is not None:
                return
            self._sender = threading.Thread(target=self._send_while_asked, daemon=True,
                                            name="webhook-apply-enqueue")
            self._sender.start()

    def wait(self, timeout: float | None = None) -> bool:
        """For tests and shutdown: True once no send is under way."""
        with self._lock:
            sender = self._sender
        if sender is not None:
            sender.join(timeout)
        return not (sender and sender.is_alive())

    def _send_while_asked(self) -> None:
        while True:
            with self._lock:
                if not self._asked:
                    self._sender = None
                    return
                portals, self._asked = sorted(self._asked), set()
            for portal in portals:
                send_apply_task(portal)


def send_apply_task(portal: str = IMPLICIT) -> bool:
    """Send `ingestion.apply_hubspot_events` once, for `portal` (the implicit portal's task
    names none, as before: the worker's HUBSPOT_PORTAL, else the settings' own); False
    (logged) if the broker did not take it."""
    from ingestion.tasks import apply_hubspot_events  # the tasks import the commands

    try:
        with celery_app.connection_for_write(connect_timeout=SEND_TIMEOUT_S,
                                             transport_options=NO_RETRIES) as connection:
            kwargs = {} if portal == IMPLICIT else {"portal": portal}
            apply_hubspot_events.apply_async(kwargs=kwargs, connection=connection,
                                             retry=False, ignore_result=True)
    except Exception as error:  # kombu's and redis's connection errors share no base we import
        log.warning("webhook events stored but the apply task was not enqueued (%s: %s); "
                    "apply_hubspot_events or the next delivery applies them",
                    type(error).__name__, str(error)[:200])
        return False
    return True


apply_requests = ApplyRequests()
