"""The HubSpot portals (accounts) one deployment mirrors, each into a data scope of its own
(ingestion/base/scopes.py: a PostgreSQL schema `hubspot_p_<name>`, or a SQLite file).

The implicit portal, IMPLICIT ("default"), is the one the HUBSPOT_* settings describe, in
the database as configured: an installation that names no portal is that portal alone.
Named portals are rows of `hubspot_portal` (models/portals.py, kept in the implicit
portal's database), added by `manage.py hubspot_portal add`; their secrets are read from
the environment variables the row names.

Everything a run keeps in tables is per portal by construction, since each portal's tables
are its own: run history and the runner's lock (sync_history), errors, quarantine,
checkpoints, the webhook events and the journal's offset, the OAuth grant. The shared Redis
rate budget is keyed by the base URL and credential (connection.shared_budget_from_settings),
with the portal's name in the key.

`activate(name)` is for a process running one portal's commands (its scope for every
connection, its credentials in the settings the client reads); `in_portal(name)` is for one
thread reading a portal's tables (a web view), settings untouched.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings

from ingestion.base.redact import register_secret
from ingestion.base.scopes import (
    IMPLICIT,
    DataScope,
    ScopeNameError,
    current_scope,
    scope_for,
    set_process_scope,
    use_scope,
)

PORTAL_ENV = "HUBSPOT_PORTAL"  # the portal of commands given no --portal (Celery, cron)


class PortalError(ValueError):
    """An unknown portal, or one whose secrets are not in the environment."""


@dataclass(frozen=True)
class Portal:
    """One portal: its name, HubSpot's id for it (when known), where its rows are, and the
    HUBSPOT_* settings its runs use (`credentials()`: read from the environment when
    called; the implicit portal's: none, the settings as they are)."""

    name: str
    portal_id: int | None
    scope: DataScope
    credentials: Callable[[], dict[str, str]] = field(repr=False, compare=False)
    base_url: str | None = None

    @property
    def implicit(self) -> bool:
        return self.name == IMPLICIT


def _from_env(variable: str, portal: str) -> str:
    value = os.environ.get(variable, "")
    if not value.strip():
        raise PortalError(f"portal {portal!r}: environment variable {variable} is not set "
                          "(or empty)")
    return value.strip()


def _resolver(row) -> Callable[[], dict[str, str]]:
    """The settings a registered portal's runs read, from the variables its row names."""
    def credentials() -> dict[str, str]:
        if row.auth == row.Auth.OAUTH:
            return {"HUBSPOT_ACCESS_TOKEN": "", "HUBSPOT_CLIENT_ID": row.client_id,
                    "HUBSPOT_CLIENT_SECRET": _from_env(row.client_secret_env, row.name),
                    "HUBSPOT_REFRESH_TOKEN": _from_env(row.refresh_token_env, row.name)}
        # HUBSPOT_CLIENT_ID / _SECRET stay the app's (one app for every portal): the
        # webhooks journal reads each portal as that app (its client credentials).
        return {"HUBSPOT_ACCESS_TOKEN": _from_env(row.token_env, row.name),
                "HUBSPOT_REFRESH_TOKEN": ""}
    return credentials


def _implicit() -> Portal:
    return Portal(IMPLICIT, settings.HUBSPOT_PORTAL_ID, DataScope(), lambda: {})


def portal_of(row) -> Portal:
    return Portal(row.name, row.portal_id, scope_for(row.name), _resolver(row), row.base_url)


def _rows():
    """The registry, read in the implicit scope (where it lives)."""
    from ingestion.models import HubSpotPortal

    if current_scope().implicit:
        return list(HubSpotPortal.objects.order_by("name"))
    with use_scope(DataScope()):
        return list(HubSpotPortal.objects.order_by("name"))


def known_names() -> list[str]:
    return [IMPLICIT, *(row.name for row in _rows())]


def get_portal(name: str) -> Portal:
    """The portal called `name`; PortalError names the known ones when there is none."""
    if name == IMPLICIT:
        return _implicit()
    rows = {row.name: row for row in _rows()}
    if name not in rows:
        raise PortalError(f"no portal named {name!r}; known: {', '.join(known_names())} "
                          "(manage.py hubspot_portal list)")
    return portal_of(rows[name])


def registered_portal_ids() -> dict[int, str]:
    """The registered portals whose HubSpot id is known, by that id (webhook routing)."""
    return {row.portal_id: row.name for row in _rows() if row.portal_id is not None}


def implicit_configured() -> bool:
    """Whether the settings give the implicit portal credentials of its own."""
    return bool(settings.HUBSPOT_ACCESS_TOKEN or settings.HUBSPOT_REFRESH_TOKEN)


def all_portals() -> list[Portal]:
    """The implicit portal first when the settings give it credentials, then every
    registered one by name."""
    implicit = [_implicit()] if implicit_configured() else []
    return implicit + [portal_of(row) for row in _rows()]


_outside: dict = {}  # the implicit portal's own settings, while another portal is active


def implicit_portal_id() -> int | None:
    """The implicit portal's Hub ID (HUBSPOT_PORTAL_ID), also while another is active."""
    return _outside.get("HUBSPOT_PORTAL_ID", settings.HUBSPOT_PORTAL_ID)


def portal_settings(portal: Portal) -> dict:
    """The HUBSPOT_* settings a run of `portal` reads (raises PortalError for a missing
    environment variable)."""
    values = {"HUBSPOT_PORTAL": portal.name, "HUBSPOT_PORTAL_ID": portal.portal_id,
              "HUBSPOT_API_BASE_URL": portal.base_url or settings.HUBSPOT_API_BASE_URL}
    values.update(portal.credentials())
    return values


@contextmanager
def _settings_overridden(values: dict) -> Iterator[None]:
    missing = object()
    before = {name: getattr(settings, name, missing) for name in values}
    for name, value in values.items():
        setattr(settings, name, value)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is missing:
                delattr(settings, name)
            else:
                setattr(settings, name, value)


@contextmanager
def _environment(name: str) -> Iterator[None]:
    """HUBSPOT_PORTAL for child processes (sync_hubspot_all --parallel starts manage.py)."""
    before = os.environ.get(PORTAL_ENV)
    os.environ[PORTAL_ENV] = name
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(PORTAL_ENV, None)
        else:
            os.environ[PORTAL_ENV] = before


@contextmanager
def activate(name: str | None) -> Iterator[Portal]:
    """This process runs portal `name` (None or IMPLICIT: the settings as they are, no scope
    switch): its scope for every connection, its credentials and base URL in the settings,
    restored on exit. PortalError: unknown portal, missing environment variable."""
    try:
        portal = get_portal(name or IMPLICIT)
    except ScopeNameError as error:
        raise PortalError(str(error)) from None
    with activate_portal(portal):
        yield portal


@contextmanager
def activate_portal(portal: Portal) -> Iterator[Portal]:
    """`activate` for a Portal at hand (`hubspot_portal add`: one not registered yet)."""
    if portal.implicit:
        yield portal
        return
    values = portal_settings(portal)
    for secret in ("HUBSPOT_ACCESS_TOKEN", "HUBSPOT_CLIENT_SECRET", "HUBSPOT_REFRESH_TOKEN"):
        register_secret(values.get(secret))
    before = current_scope()
    if before.implicit:
        _outside["HUBSPOT_PORTAL_ID"] = settings.HUBSPOT_PORTAL_ID
    with _settings_overridden(values), _environment(portal.name):
        set_process_scope(portal.scope)
        try:
            yield portal
        finally:
            set_process_scope(before)
            if before.implicit:
                _outside.clear()


@contextmanager
def in_portal(name: str) -> Iterator[Portal]:
    """This thread reads and writes portal `name`'s tables for the block (settings
    untouched): a web view showing or receiving one portal's data."""
    portal = get_portal(name)
    with use_scope(portal.scope):  # no switch when already there (scopes.use_scope)
        yield portal
