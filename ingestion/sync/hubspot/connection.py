"""The HubSpot client the settings describe. Only the entry points call this (a command, or
the Celery task through a command): they own the client for the whole run and hand it to
every engine, so one client holds the run's rate budget and credentials."""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.conf import settings

from ingestion.base.grants import DatabaseGrantStore

from .client import AppCredentials, HubSpotClient, OAuthApp
from .limits import ClientLimits
from .pacing import RateBudget


def client_from_settings(limits: ClientLimits | None = None) -> HubSpotClient:
    """The client the settings describe: OAuth when a refresh token is configured (its grant
    shared with the other processes through the database), else the private app's token;
    `limits`: other than the settings' (the status page's one try)."""
    oauth = oauth_app_from_settings()
    limits = limits or limits_from_settings()
    return HubSpotClient(settings.HUBSPOT_API_BASE_URL, oauth or settings.HUBSPOT_ACCESS_TOKEN,
                         limits=limits, api_version=settings.HUBSPOT_API_VERSION,
                         budget=shared_budget_from_settings(oauth, limits))


def client_for_portal(portal, limits: ClientLimits) -> HubSpotClient:
    """A client of `portal` (accounts.Portal) that leaves the settings alone: a web view's
    short read of one portal among several (settings are the process's; a request thread
    must not switch them). Call it inside `accounts.in_portal`, so an OAuth portal's grant
    is read from its own scope. No shared budget: a view makes one request."""
    if portal.implicit:
        return client_from_settings(limits)
    values = portal.credentials()  # accounts.PortalError names a variable not set
    base_url = portal.base_url or settings.HUBSPOT_API_BASE_URL
    oauth = None
    if values.get("HUBSPOT_REFRESH_TOKEN"):
        oauth = _oauth_app(values["HUBSPOT_CLIENT_ID"], values["HUBSPOT_CLIENT_SECRET"],
                           values["HUBSPOT_REFRESH_TOKEN"])
    return HubSpotClient(base_url, oauth or values["HUBSPOT_ACCESS_TOKEN"], limits=limits,
                         api_version=settings.HUBSPOT_API_VERSION)


# The scopes the journal's app token is asked for (docs/hubspot-api.md#webhooks-journal):
# reading the journal, and setting up its subscriptions. The app also needs the object
# scopes of the types it subscribes to (crm.objects.contacts.read …), which the token does
# not ask for: HubSpot checks them on the app.
JOURNAL_READ_SCOPES = ("developer.webhooks_journal.read",)
JOURNAL_SETUP_SCOPES = ("developer.webhooks_journal.subscriptions.read",
                        "developer.webhooks_journal.subscriptions.write")
APP_CREDENTIAL_SETTINGS = ("HUBSPOT_CLIENT_ID", "HUBSPOT_CLIENT_SECRET")


def missing_app_credentials() -> list[str]:
    """The client-credential settings that are not set (the journal needs both)."""
    return [name for name in APP_CREDENTIAL_SETTINGS if not getattr(settings, name)]


def journal_client_from_settings(scopes: Iterable[str]) -> HubSpotClient:
    """A client of the webhooks journal: authenticated as the app (HUBSPOT_CLIENT_ID and
    _SECRET, the client-credentials grant asking `scopes`), its token shared with the other
    processes through the database, on HUBSPOT_API_BASE_URL. Its rate budget is its own and
    local: the journal's limits are not the CRM API's (docs/hubspot-api.md#webhooks-journal).
    Raises ValueError when a credential is not set (commands check first:
    base_hubspot_sync.require_app_credentials)."""
    missing = missing_app_credentials()
    if missing:
        raise ValueError(f"the webhooks journal needs {', '.join(missing)}")
    client_id, secret = settings.HUBSPOT_CLIENT_ID, settings.HUBSPOT_CLIENT_SECRET
    store = DatabaseGrantStore(client_id, secret, clock=time.time,
                               grant_type="client_credentials")
    app = AppCredentials(client_id, secret, tuple(scopes), store=store)
    return HubSpotClient(settings.HUBSPOT_API_BASE_URL, app, limits=limits_from_settings(),
                         api_version=settings.HUBSPOT_API_VERSION)


def limits_from_settings() -> ClientLimits:
    """Pacing, waits and retries as configured (config/settings.py: meanings, defaults)."""
    return ClientLimits(
        timeout_s=settings.HUBSPOT_TIMEOUT,
        max_attempts=settings.HUBSPOT_MAX_ATTEMPTS,
        backoff_first_s=settings.HUBSPOT_RETRY_INITIAL_WAIT,
        longest_wait_s=settings.HUBSPOT_MAX_WAIT_SECONDS,
        general_per_10s=settings.HUBSPOT_REQUESTS_PER_10S,
        search_per_s=settings.HUBSPOT_SEARCH_REQUESTS_PER_SECOND,
        daily_reserve_percent=settings.HUBSPOT_DAILY_RESERVE_PERCENT)


def shared_budget_from_settings(oauth: OAuthApp | None,
                                limits: ClientLimits) -> RateBudget | None:
    """The rate budget shared through Redis when HUBSPOT_RATE_LIMIT_REDIS_URL (or REDIS_URL)
    names one, keyed by the account; None: the client paces itself alone."""
    url = settings.HUBSPOT_RATE_LIMIT_REDIS_URL
    if not url:
        return None
    from . import shared_pacing  # imported only when a shared budget is configured

    # The ten-secondly limit is per app and account: a private app is its token, an OAuth
    # app's installation its client id and refresh token (as configured, never rotated).
    credential = (f"oauth:{oauth.client_id}:{oauth.refresh_token}" if oauth
                  else f"token:{settings.HUBSPOT_ACCESS_TOKEN}")
    account = shared_pacing.account_key(settings.HUBSPOT_API_BASE_URL, credential)
    if settings.HUBSPOT_PORTAL not in ("", "default"):  # a named portal (accounts.py)
        account = f"{settings.HUBSPOT_PORTAL}:{account}"  # for people reading Redis
    return shared_pacing.redis_budget(url, account, limits, prefix=shared_pacing.DEFAULT_PREFIX)


def oauth_app_from_settings() -> OAuthApp | None:
    """The OAuth app, its grant shared through the database; None: a private app's token."""
    if not settings.HUBSPOT_REFRESH_TOKEN:
        return None
    return _oauth_app(settings.HUBSPOT_CLIENT_ID, settings.HUBSPOT_CLIENT_SECRET,
                      settings.HUBSPOT_REFRESH_TOKEN)


def _oauth_app(client_id: str, secret: str, refresh_token: str) -> OAuthApp:
    """An installed OAuth app whose grant is shared with the other processes through the
    database (the current scope's grant row)."""
    return OAuthApp(client_id, secret, refresh_token,
                    store=DatabaseGrantStore(client_id, secret, clock=time.time))
