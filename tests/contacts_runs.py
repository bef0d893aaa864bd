"""End-to-end contacts runs (sync_hubspot_contacts in-process against the emulator) and small
readers of what HubSpot holds and what a run left behind; shared by the modes, save-path and
HTTP tests."""

from __future__ import annotations

import httpx
from django.apps import apps
from django.core.management.base import CommandError
from sync_commands import Run, run_command, run_failing
from upstream import listing

from ingestion.base.history import last_watermark
from ingestion.models import HubSpotContact, SyncHistory

CONTACTS_LIST = "/crm/v3/objects/contacts"
CONTACTS_SEARCH = "/crm/v3/objects/contacts/search"


def contacts(*flags: str) -> dict[str, int]:
    """Run sync_hubspot_contacts, which must succeed; its summary counts."""
    return run_command("sync_hubspot_contacts", *flags)["contacts"]


def contacts_failing(*flags: str) -> tuple[CommandError, Run]:
    return run_failing("sync_hubspot_contacts", *flags)


def upstream_ids(api: httpx.Client, *, archived: bool = False) -> list[str]:
    """Every contact id HubSpot lists (live, or the archived listing)."""
    params = {"limit": 100, "archived": "true" if archived else "false"}
    return [record["id"] for record in listing(api, CONTACTS_LIST, params)]


def everything_upstream(api: httpx.Client) -> set[str]:
    """Every contact id HubSpot has, live or archived."""
    return set(upstream_ids(api)) | set(upstream_ids(api, archived=True))


def upstream_record(api: httpx.Client, object_id: str, *properties: str) -> dict:
    params = {"properties": ",".join(properties)} if properties else None
    return api.get(f"{CONTACTS_LIST}/{object_id}", params=params).raise_for_status().json()


def live_ids() -> set[str]:
    return set(HubSpotContact.objects.filter(archived=False).values_list("pk", flat=True))


def archived_ids() -> set[str]:
    return set(HubSpotContact.objects.filter(archived=True).values_list("pk", flat=True))


def watermark():
    return last_watermark("contacts")


def last_run() -> SyncHistory:
    return SyncHistory.objects.filter(object_type="contacts").latest("id")


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table of the app, in primary-key order."""
    return {model._meta.db_table: list(model.objects.order_by("pk").values())
            for model in apps.get_app_config("ingestion").get_models()}
