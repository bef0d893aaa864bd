"""/status/: how each type is doing (rows from status.py), for staff only: one section per
portal (ops/portals.py; `?portal=NAME` shows one), each read inside that portal's scope."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe

from ingestion.sync.hubspot.accounts import in_portal

from .charts import run_chart
from .portals import Portal, PortalError, several, shown_portals, title
from .status import (
    COLUMNS,
    NUMERIC,
    JournalStatus,
    TypeStatus,
    chart_points,
    hubspot_counts,
    journal_status,
    type_statuses,
)

REFRESH_SECONDS = 60  # the page reloads itself (a meta refresh: no JavaScript)
# Verify results that stand out (class `not-exact`, `failed`).
FLAGGED_VERIFY = ("not exact", "failed")
# Where long headers and type names may break, so the table fits a 1,280-pixel window
# (a soft hyphen shows only where the line breaks).
HEADERS = {"quarantined": "quaran\u00adtined", "requests": "re\u00adquests",
           "duration": "dura\u00adtion"}


@staff_member_required  # anonymous or non-staff: redirected to the admin's login form
def status(request: HttpRequest) -> HttpResponse:
    try:
        portals = shown_portals(request.GET.get("portal"))
    except PortalError as error:
        raise Http404(str(error)) from None
    named = several(portals)
    context = {**admin.site.each_context(request), "title": "HubSpot mirror status",
               "columns": [HEADERS.get(c, c) for c in COLUMNS], "numeric": NUMERIC,
               "sections": [_section(portal, named) for portal in portals],
               "refresh": REFRESH_SECONDS,
               "expected_minutes": settings.HUBSPOT_STATUS_EXPECTED_MINUTES,
               "is_nav_sidebar_enabled": False}  # the table needs the width
    return render(request, "ingestion/status.html", context)


def _section(portal: Portal, named: bool) -> dict:
    """One portal's rows and journal, read in its scope. Unnamed (the implicit portal
    alone): no heading, and the element ids of the page before portals."""
    now = timezone.now()
    with in_portal(portal.name):
        counts = hubspot_counts(portal)
        rows = [_row(status, now, portal.implicit)
                for status in type_statuses(now, counts)]
        journal = _journal(journal_status(now), portal.implicit)
    suffix = f"-{portal.name}" if named else ""
    return {"name": portal.name, "title": title(portal) if named else "", "rows": rows,
            "journal": journal, "table_id": f"status-table{suffix}",
            "journal_id": f"journal-status{suffix}"}


def _row(status: TypeStatus, now, linked: bool = True) -> dict:
    """The row's cells as (column, text, admin link or None, class), its colour and chart.
    Not `linked`: a named portal's runs, which the admin (on the configured database's
    tables) cannot open."""
    runs = reverse("admin:ingestion_synchistory_changelist")
    links = {} if not linked else {
        "type": f"{runs}?{urlencode({'object_type__exact': status.object_type})}",
        "last run": _change_url(status.shown_run),
        "error": _change_url(status.shown_run) if _error_of(status) else None,
        "last success": _change_url(status.last_success),
        "failed": _change_url(status.latest),
        "verify": _change_url(status.verify),
    }
    cells = [(name, _breakable(text) if name == "type" else text, links.get(name),
              _cell_class(name, text, status)) for name, text in status.cells().items()]
    return {"colour": status.colour, "chart": run_chart(chart_points(status.object_type, now)),
            "type": status.object_type, "cells": cells,
            "error": _error_of(status)}


def _journal(journal: JournalStatus | None,
             linked: bool = True) -> list[tuple[str, str, str | None]] | None:
    """The journal's fields as (name, text, admin link or None); None: not set up."""
    if journal is None:
        return None
    return [(name, text, _change_url(journal.newest) if linked and name == "newest run"
             else None)
            for name, text in journal.cells().items()]


def _error_of(status: TypeStatus) -> str:
    return status.shown_run.error_message if status.shown_run else ""


def _breakable(name: str) -> SafeString:
    """`feedback_<wbr>submissions`: a long type name may break after an underscore."""
    return mark_safe(escape(name).replace("_", "_<wbr>"))  # safe: escaped first


def _cell_class(name: str, text: str, status: TypeStatus) -> str:
    """`run-failed` (red whatever the row's age), `run-abandoned`, `run-skipped` ... on the
    last run; `not-exact` on the verify result; `num` right-aligns."""
    run = status.shown_run
    if name == "last run" and run is not None:
        return f"run-{run.status}"
    if name == "verify" and text in FLAGGED_VERIFY:
        return text.replace(" ", "-")
    return {"state": "state", "error": "error"}.get(name, "num" if name in NUMERIC else "")


def _change_url(run) -> str | None:
    return None if run is None else reverse("admin:ingestion_synchistory_change", args=[run.pk])
