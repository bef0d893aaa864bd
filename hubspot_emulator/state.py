"""All of one emulator's state (`Emulator`) and its request counts (`Stats`); no HTTP here.
The handler modules reach it through `handling.emulator(request)`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from . import PORTAL_ID
from .auth import AppClient, OAuthApp, scope_set
from .errors import unknown_type
from .faults import FaultInjector
from .journal import Journal
from .locks import WriteLock
from .ratelimit import RateLimiter
from .search import SearchLimits
from .store import Store, TypeState
from .timeutil import Clock
from .webhooks import DEFAULT_APP_ID, WebhookConfig, Webhooks

DEFAULT_MAX_URL = 8000
DEFAULT_EMAIL_EVENTS = 400  # generated email events (email_events.py): a small portal


@dataclass
class Stats:
    requests: int = 0
    by_status: Counter = field(default_factory=Counter)
    by_path: Counter = field(default_factory=Counter)
    oauth_refreshes: int = 0  # successful refresh grants
    oauth_refresh_failures: int = 0  # refused token requests (400)
    app_token_grants: int = 0  # successful client-credentials grants
    app_token_failures: int = 0  # refused client-credentials grants (400)

    def as_json(self, faults_injected: int) -> dict:
        return {"requests": self.requests, "by_status": dict(self.by_status),
                "by_path": dict(self.by_path), "faults_injected": faults_injected,
                "oauth_refreshes": self.oauth_refreshes,
                "oauth_refresh_failures": self.oauth_refresh_failures,
                "app_token_grants": self.app_token_grants,
                "app_token_failures": self.app_token_failures}


class Emulator:
    """All server state; `reset` rebuilds it from a portal description.

    `token` guards the API; `control_token` (default: the same) guards `/_emulator/*`.
    `token_scopes` (reset) limits the static token's scopes (None: all); `oauth` (reset) installs
    an OAuth app whose issued access tokens are accepted too (see `auth.OAuthApp`); `webhooks`
    (reset) configures event delivery (see `webhooks.WebhookConfig`).

    `client_id` / `client_secret` / `app_scopes` (None: every scope) are the app's client
    credentials for the webhooks journal (`auth.AppClient`); like the tokens they outlive
    resets, which restore `app_scopes` and empty the journal (`journal.Journal`).

    `portal_id` (reset; default `PORTAL_ID`) is the portal's Hub ID, in every reply, event and
    file that names the portal; it outlives resets that do not give it again (two emulators in
    one process are two portals, each with its own id)."""

    def __init__(self, token: str, control_token: str | None = None,
                 client_id: str | None = None, client_secret: str | None = None,
                 app_scopes: list[str] | None = None, **reset_kwargs) -> None:
        if not token:
            raise ValueError("the emulator needs a token")
        if bool(client_id) != bool(client_secret):
            raise ValueError("client_id and client_secret go together")
        self.token = token
        self.control_token = control_token or token
        self.app_client = AppClient(client_id or None, client_secret or None,
                                    scope_set(app_scopes))
        self.journal = Journal(DEFAULT_APP_ID)
        self.clock = Clock()
        self.faults = FaultInjector()
        self.search_limits = SearchLimits()
        self.webhooks = Webhooks()
        self.portal_id = PORTAL_ID
        self.reset(**reset_kwargs)

    def reset(self, contacts: int = 1000, seed: int = 1, rate_limit: str = "none",
              daily_limit: int | None = None, search_lag_ms: int = 0,
              max_url_length: int = DEFAULT_MAX_URL, rate_window_ms: int = 10_000,
              search_limits: dict | None = None, fault_rate: float = 0.0,
              fault_kinds: list[str] | None = None, token_scopes: list[str] | None = None,
              oauth: dict | None = None, write_lock: dict | None = None,
              webhooks: dict | None = None, id_bases: dict | None = None,
              email_events: int = DEFAULT_EMAIL_EVENTS, portal_id: int | None = None) -> None:
        # Checked before anything is rebuilt: a bad value leaves the portal as it was.
        scopes = scope_set(token_scopes)
        app = None if oauth is None else OAuthApp.from_config(oauth)
        lock = WriteLock.from_config(write_lock)
        hooks = None if webhooks is None else WebhookConfig.from_config(webhooks)
        if type(email_events) is not int or email_events < 0:
            raise ValueError("email_events must be a whole number >= 0")
        if portal_id is not None and (type(portal_id) is not int or portal_id < 1):
            raise ValueError("portal_id must be a whole number >= 1")
        self.portal_id = self.portal_id if portal_id is None else portal_id
        self.store = Store(seed=int(seed), contacts=int(contacts), clock=self.clock,
                           search_lag_ms=int(search_lag_ms), id_bases=id_bases,
                           portal_id=self.portal_id)
        self.limiter = RateLimiter(rate_limit, daily_limit, window_ms=int(rate_window_ms),
                                   portal_id=self.portal_id)
        self.max_url_length = int(max_url_length)
        self.search_limits = SearchLimits(**(search_limits or {}))
        self.faults.clear()
        self.faults.injected = 0
        if fault_rate:
            self.faults.configure({"rate": fault_rate, "kinds": fault_kinds or None})
        self.token_scopes, self.oauth, self.write_lock = scopes, app, lock
        self.email_events = email_events  # email_events.events_of generates them on first use
        self.webhooks.reset(self.store, hooks)  # what was queued for the old portal is dropped
        self.journal.attach(self.store)  # after the webhooks: it observes next to them
        self.app_client.scopes = self.app_client.default_scopes
        self.stats = Stats()

    def resolve(self, token: str) -> TypeState:
        otype = self.store.registry.resolve(token)
        if otype is None:
            raise unknown_type(token)
        return self.store.state(otype)
