"""GET /health/: 200 `{"status": "ok"}` when the mirror can work and no type is red on the
status page, else 503 `{"status": "unhealthy"}`. For monitoring probes: no login needed.

Anonymous callers get only that verdict. The reasons (`problems`) and each judged type
(`types`) are added for a caller who sends `Authorization: Bearer <METRICS_TOKEN>` or is
logged in to the admin as staff: which types a portal has, and when they ran, is not for
anyone who can reach the port.

Every portal an operator sees (ops/portals.py) is judged, each in its own scope: 503 when
any portal's database or check is red. With several portals the problems start with the
portal's name (`sandbox: contacts: ...`) and the details are also given per portal
(`portals`: {name: {problems, types}}); the implicit portal alone answers as before.

Unhealthy when:
- the database cannot be reached, or is not migrated (the check every command makes first);
- a check of ingestion/ops/status.py is red: the newest finished run of a kind failed or was
  abandoned, or the last success is older than twice the interval expected. The rule, the
  thresholds and the setting (HUBSPOT_STATUS_EXPECTED_MINUTES) are the status page's: this
  module only reports them. Skipped types (no access) and types without runs never count.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user
from django.db import DatabaseError
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ingestion.base.schema import pending_migrations
from ingestion.ops.metrics import token_sent
from ingestion.ops.portals import Portal, several, shown_portals
from ingestion.ops.status import COLOURS, HEALTH_COLOURS, Check, all_checks
from ingestion.sync.hubspot.accounts import in_portal


@require_safe
@never_cache
def health(request) -> JsonResponse:
    now = timezone.now()
    try:
        portals = shown_portals()
    except DatabaseError:  # the registry cannot be read: the configured database's verdict
        portals = []
    verdicts = {portal.name: judged(portal, now) for portal in portals} or {
        "default": (database_problems() or ["database: a query failed"], [])}
    named = several(portals)
    problems = [f"{name}: {problem}" if named else problem
                for name, (found, _) in verdicts.items() for problem in found]
    body: dict = {"status": "unhealthy" if problems else "ok"}
    if may_see_details(request):
        details = {name: {"problems": found,
                          "types": {c.label: describe(c, now) for c in checks if c.newest}}
                   for name, (found, checks) in verdicts.items()}
        body["problems"] = problems
        if named:
            body["portals"] = details
        else:
            body["types"] = next(iter(details.values()))["types"]
    return JsonResponse(body, status=503 if problems else 200)


def judged(portal: Portal, now) -> tuple[list[str], list[Check]]:
    """One portal's problems and checks, read in its scope."""
    try:
        with in_portal(portal.name):
            problems, checks = database_problems(), []
            if not problems:
                checks = all_checks()
    except DatabaseError:
        return ["database: a query failed"], []
    red = [c.problem(now) for c in checks if COLOURS[c.verdict(now)] in HEALTH_COLOURS]
    return problems + red, checks


def database_problems() -> list[str]:
    """The check every command makes before it works (base_hubspot_sync.check_database),
    said without the database's host, name or the driver's message."""
    try:
        pending = pending_migrations()
    except DatabaseError:
        return ["database: unreachable"]
    if pending:
        return [f"database: not migrated ({len(pending)} migration(s) to apply)"]
    return []


def may_see_details(request) -> bool:
    """The metrics token, or a staff login (this view runs before the session and auth
    middleware: probes.py), may see the reasons."""
    if token_sent(request):
        return True
    if not request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        return False
    engine = import_module(settings.SESSION_ENGINE)
    request.session = engine.SessionStore(request.COOKIES[settings.SESSION_COOKIE_NAME])
    try:
        user = get_user(request)
    except DatabaseError:  # the database is down: the verdict says so already
        return False
    return user.is_active and user.is_staff


def describe(check: Check, now) -> dict:
    run = check.newest
    return {"state": check.verdict(now), "latest_run": run.status,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "max_age_minutes": (int(2 * check.expected.total_seconds() // 60)
                                if check.expected else None)}
