"""Celery entry points: the same commands, for Celery beat schedules.

    CELERY_BEAT_SCHEDULE = {"hubspot-hourly": {
        "task": "ingestion.sync_hubspot", "schedule": 3600,
        "kwargs": {"command": "sync_hubspot_all"}}}
"""

from __future__ import annotations

import io

from celery import shared_task
from django.core.management import call_command
from django.core.management.base import CommandError

FLAGS = {"full", "since", "force_overwrite", "batch_size", "max_records", "dry_run",
         "skip_associations"}


@shared_task(name="ingestion.sync_hubspot", acks_late=True)
def sync_hubspot(command: str = "sync_hubspot_all", **flags) -> dict:
    """Run one sync command; return its summary lines and exit status (0, 1 or 3)."""
    if not command.startswith("sync_hubspot_"):
        raise ValueError(f"not a sync command: {command}")
    unknown = set(flags) - FLAGS
    if unknown:
        raise ValueError(f"unknown flags: {', '.join(sorted(unknown))}")
    out = io.StringIO()
    try:
        call_command(command, noinput=True, stdout=out, stderr=io.StringIO(), **flags)
        status = 0
    except CommandError as error:
        status = error.returncode
        out.write(f"{error}\n")
    return {"command": command, "status": status, "output": out.getvalue().splitlines()}
