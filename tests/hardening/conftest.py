"""Fixtures and helpers for the hardening suite: the emulator over real HTTP, fast retries,
and small readers of what a run left behind."""

from __future__ import annotations

import io

import httpx
import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from ingestion.base.history import last_watermark
from ingestion.models import HubSpotContact, SyncHistory

CONTACTS_LIST = "/crm/v3/objects/contacts"
CONTACTS_SEARCH = "/crm/v3/objects/contacts/search"


@pytest.fixture
def hubspot(emulator, settings):
    """The emulator, with Django settings pointing at it and fast retries for tests."""
    settings.HUBSPOT_API_BASE_URL = emulator.url
    settings.HUBSPOT_ACCESS_TOKEN = emulator.token
    settings.HUBSPOT_RETRY_INITIAL_WAIT = 0.01
    settings.HUBSPOT_MAX_ATTEMPTS = 3
    settings.HUBSPOT_SEARCH_REQUESTS_PER_SECOND = None  # the emulator has no limit by default
    settings.HUBSPOT_INCREMENTAL_LOOKBACK_SECONDS = 300
    yield emulator
    emulator.control.clear_faults()


class Run:
    """What a command printed: its summary lines parsed into counts by type."""

    def __init__(self, out: str, err: str):
        self.out, self.err = out, err
        self.counts: dict[str, dict[str, int]] = {}
        for line in out.splitlines():
            name, sep, rest = line.partition(": fetched=")
            if sep:
                pairs = ("fetched=" + rest).split(" (dry run")[0].split()
                self.counts[name] = {k: int(v) for k, v in (p.split("=") for p in pairs)}

    def __getitem__(self, name: str) -> dict[str, int]:
        return self.counts[name]


def run_command(name: str, *flags: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *flags, stdout=out, stderr=err)
    return Run(out.getvalue(), err.getvalue())


def run_failing(name: str, *flags: str) -> tuple[CommandError, Run]:
    """Run a command that must fail: (its error, what it printed before failing)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(name, *flags, stdout=out, stderr=err)
    return failure.value, Run(out.getvalue(), err.getvalue())


def contacts(*flags: str) -> dict[str, int]:
    """Run sync_hubspot_contacts, which must succeed; its summary counts."""
    return run_command("sync_hubspot_contacts", *flags)["contacts"]


def contacts_failing(*flags: str) -> tuple[CommandError, Run]:
    return run_failing("sync_hubspot_contacts", *flags)


@pytest.fixture
def api(hubspot):
    """HubSpot's public API on the emulator, to change the portal the way a user would."""
    with httpx.Client(base_url=hubspot.url, timeout=30,
                      headers={"Authorization": f"Bearer {hubspot.token}"}) as client:
        yield client


def upstream_ids(api: httpx.Client, *, archived: bool = False) -> list[str]:
    """Every contact id HubSpot lists (live, or the archived listing)."""
    ids, params = [], {"limit": 100, "archived": "true" if archived else "false"}
    while True:
        data = api.get(CONTACTS_LIST, params=params).raise_for_status().json()
        ids += [r["id"] for r in data["results"]]
        after = ((data.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return ids
        params["after"] = after


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
