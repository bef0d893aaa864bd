"""The OAuth grant shared through the database (no HTTP: the exchange is a function here;
the HTTP side runs against the emulator in test_oauth.py)."""

from __future__ import annotations

import threading

import pytest

from ingestion.base.grants import DatabaseGrantStore
from ingestion.base.results import Grant
from ingestion.models import OAuthGrant

pytestmark = pytest.mark.django_db(transaction=True)


class Exchanges:
    def __init__(self, now: float, rotate: bool = False):
        self.now, self.rotate, self.calls = now, rotate, []

    def __call__(self, refresh_token: str) -> Grant:
        self.calls.append(refresh_token)
        n = len(self.calls)
        return Grant(f"access-{n}", f"refresh-{n}" if self.rotate else refresh_token,
                     self.now + 1800, 1800)


def test_fresh_grant_when_another_process_asks_then_reused_without_a_refresh():
    exchange = Exchanges(now=1_000.0)
    first = DatabaseGrantStore("app", "secret", clock=lambda: 1_000.0)
    second = DatabaseGrantStore("app", "secret", clock=lambda: 1_500.0)
    assert first.share("r0", None, exchange).access_token == "access-1"
    assert second.share("r0", None, exchange).access_token == "access-1"
    assert exchange.calls == ["r0"]


def test_grant_near_expiry_or_refused_when_asked_then_refreshed_once_with_rotated_token():
    exchange = Exchanges(now=1_000.0, rotate=True)
    store = DatabaseGrantStore("app", "secret", clock=lambda: 1_000.0)
    store.share("r0", None, exchange)
    renewed = store.share("r0", "access-1", exchange)  # HubSpot refused access-1
    assert renewed.access_token == "access-2" and exchange.calls == ["r0", "refresh-1"]
    late = DatabaseGrantStore("app", "secret", clock=lambda: 1_000.0 + 1800 - 60)
    assert late.share("r0", None, exchange).access_token == "access-3"


def test_stored_tokens_when_read_from_the_table_then_encrypted():
    DatabaseGrantStore("app", "secret", clock=lambda: 0.0).share(
        "refresh-secret-value", None, Exchanges(now=0.0))
    row = OAuthGrant.objects.get()
    assert "refresh-secret-value" not in row.refresh_token and "access-1" not in row.access_token
    other_secret = DatabaseGrantStore("app", "other", clock=lambda: 0.0)
    exchange = Exchanges(now=0.0)
    other_secret.share("refresh-secret-value", None, exchange)  # cannot read: refreshes
    assert exchange.calls == ["refresh-secret-value"]


def test_configured_refresh_token_when_changed_then_stored_grant_dropped():
    exchange = Exchanges(now=0.0, rotate=True)
    store = DatabaseGrantStore("app", "secret", clock=lambda: 0.0)
    store.share("r0", None, exchange)
    store.share("new-install", None, exchange)
    assert exchange.calls == ["r0", "new-install"]


def test_threads_when_refreshing_together_then_one_exchange():
    exchange = Exchanges(now=0.0)
    barrier = threading.Barrier(4)

    def ask() -> None:
        from django.db import connection

        barrier.wait()
        DatabaseGrantStore("app", "secret", clock=lambda: 0.0).share("r0", None, exchange)
        connection.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert exchange.calls == ["r0"]


def test_due_when_short_lived_then_refreshed_a_tenth_before_expiry():
    assert not Grant("a", "r", 100.0, 10.0).due(98.9)
    assert Grant("a", "r", 100.0, 10.0).due(99.0)
    assert Grant("a", "r", 10_000.0, 1800.0).due(10_000.0 - 120)
