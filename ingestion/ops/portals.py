"""Which portals the operators' views show (/status/, `hubspot_status`, /metrics,
/health/), written once so the four never disagree: every registered portal, and the
implicit one (`default`) when the settings give it credentials, nothing is registered, or
it has runs of its own. Each view reads a portal's tables inside `accounts.in_portal`
(this thread's connection only: settings and other threads untouched).

With the implicit portal alone, `several()` is False and every view looks as it did
before portals existed (no headings, no per-portal nesting); /metrics labels it `default`
all the same, so a series keeps its labels when a second portal is added.
"""

from __future__ import annotations

from ingestion.base.scopes import IMPLICIT, main_scope
from ingestion.sync.hubspot.accounts import (
    Portal,
    PortalError,
    all_portals,
    get_portal,
)

__all__ = ["IMPLICIT", "Portal", "PortalError", "several", "shown_portals", "title"]


def shown_portals(name: str | None = None) -> list[Portal]:
    """The portal called `name` (PortalError when there is none), else every portal an
    operator should see, the implicit one first."""
    if name:
        return [get_portal(name)]
    portals = all_portals()
    if portals and portals[0].implicit:
        return portals
    if not portals or _implicit_has_runs():
        return [get_portal(IMPLICIT), *portals]
    return portals


def _implicit_has_runs() -> bool:
    """Runs recorded in the configured database (before any portal was registered, or
    by a token since removed from the settings): still worth showing."""
    from ingestion.models import SyncHistory

    with main_scope():
        return SyncHistory.objects.exists()


def several(portals: list[Portal]) -> bool:
    """Whether the views name each portal (anything but the implicit portal alone, or
    none: the registry could not be read)."""
    return len(portals) > 1 or any(not portal.implicit for portal in portals)


def title(portal: Portal) -> str:
    """`sandbox (Hub ID 2002)`: how a view heads a portal's section."""
    hub_id = f"Hub ID {portal.portal_id}" if portal.portal_id else "Hub ID unknown"
    return f"{portal.name} ({hub_id})"
