"""The HubSpot client the settings describe. Only the entry points call this (a command, or
the Celery task through a command): they own the client for the whole run and hand it to
every engine, so one client holds the run's rate budget and credentials."""

from __future__ import annotations

import time

from django.conf import settings

from ingestion.base.grants import DatabaseGrantStore

from .client import HubSpotClient, OAuthApp
from .pacing import RateBudget
from .paths import DEFAULT_VERSION


def client_from_settings() -> HubSpotClient:
    """The client the settings describe: OAuth when a refresh token is configured (its grant
    shared with the other processes through the database), else the private app's token."""
    oauth = oauth_app_from_settings()
    return HubSpotClient(
        settings.HUBSPOT_ACCESS_TOKEN, settings.HUBSPOT_API_BASE_URL,
        timeout=settings.HUBSPOT_TIMEOUT, max_attempts=settings.HUBSPOT_MAX_ATTEMPTS,
        initial_wait=settings.HUBSPOT_RETRY_INITIAL_WAIT,
        general_limit=settings.HUBSPOT_REQUESTS_PER_10S,
        search_per_second=settings.HUBSPOT_SEARCH_REQUESTS_PER_SECOND,
        max_wait_s=getattr(settings, "HUBSPOT_MAX_WAIT_SECONDS", 120.0),
        api_version=getattr(settings, "HUBSPOT_API_VERSION", DEFAULT_VERSION), oauth=oauth,
        grant_store=DatabaseGrantStore(oauth.client_id, oauth.client_secret,
                                       clock=time.time) if oauth else None,
        budget=shared_budget_from_settings(oauth),
        daily_reserve_percent=getattr(settings, "HUBSPOT_DAILY_RESERVE_PERCENT", 0.0))


def shared_budget_from_settings(oauth: OAuthApp | None) -> RateBudget | None:
    """The rate budget shared through Redis when HUBSPOT_RATE_LIMIT_REDIS_URL (or REDIS_URL)
    names one, keyed by the account; None: the client paces itself alone."""
    url = getattr(settings, "HUBSPOT_RATE_LIMIT_REDIS_URL", "")
    if not url:
        return None
    from . import shared_pacing  # imported only when a shared budget is configured

    # The ten-secondly limit is per app and account: a private app is its token, an OAuth
    # app's installation its client id and refresh token (as configured, never rotated).
    credential = (f"oauth:{oauth.client_id}:{oauth.refresh_token}" if oauth
                  else f"token:{settings.HUBSPOT_ACCESS_TOKEN}")
    return shared_pacing.redis_budget(
        url, shared_pacing.account_key(settings.HUBSPOT_API_BASE_URL, credential),
        prefix=shared_pacing.DEFAULT_PREFIX,
        general_limit=settings.HUBSPOT_REQUESTS_PER_10S,
        search_per_second=settings.HUBSPOT_SEARCH_REQUESTS_PER_SECOND,
        max_wait_s=getattr(settings, "HUBSPOT_MAX_WAIT_SECONDS", 120.0),
        reserve_percent=getattr(settings, "HUBSPOT_DAILY_RESERVE_PERCENT", 0.0))


def oauth_app_from_settings() -> OAuthApp | None:
    refresh_token = getattr(settings, "HUBSPOT_REFRESH_TOKEN", "")
    if not refresh_token:
        return None
    return OAuthApp(settings.HUBSPOT_CLIENT_ID, settings.HUBSPOT_CLIENT_SECRET, refresh_token)
