"""/status/: how fresh the mirror is, per type (rows from status.py), for staff only."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from .charts import run_chart
from .status import COLUMNS, NUMERIC, TypeStatus, type_statuses

REFRESH_SECONDS = 60  # the page reloads itself (a meta refresh: no JavaScript)


@staff_member_required  # anonymous or non-staff: redirected to the admin's login form
def status(request: HttpRequest) -> HttpResponse:
    rows = [_row(status) for status in type_statuses()]
    context = {**admin.site.each_context(request), "title": "HubSpot mirror status",
               "columns": COLUMNS, "numeric": NUMERIC, "rows": rows, "refresh": REFRESH_SECONDS,
               "expected_minutes": settings.HUBSPOT_STATUS_EXPECTED_MINUTES,
               "is_nav_sidebar_enabled": False}  # the table needs the width
    return render(request, "ingestion/status.html", context)


def _row(status: TypeStatus) -> dict:
    """The row's cells as (column, text, admin link or None), its colour and its chart."""
    runs = reverse("admin:ingestion_synchistory_changelist")
    links = {
        "type": f"{runs}?{urlencode({'object_type__exact': status.object_type})}",
        "last success": _change_url(status.last_success),
        "failed": _change_url(status.latest),
        "verify": _change_url(status.verify),
    }
    return {"freshness": status.freshness, "chart": run_chart(status.points),
            "type": status.object_type,
            "cells": [(name, text, links.get(name)) for name, text in status.cells().items()]}


def _change_url(run) -> str | None:
    return None if run is None else reverse("admin:ingestion_synchistory_change", args=[run.pk])
