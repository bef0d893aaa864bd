"""`sync_hubspot_all --all-portals`: every portal as its own `sync_hubspot_all --portal NAME`
process (one after another, or --parallel N at once), one table per portal and a total; a
portal that cannot run (its token refused, its environment variable missing) fails alone and
the exit status says so. Portals a and b are two emulators (conftest.py); each child syncs the
definitions and contacts only (sync_all_types.py)."""

from __future__ import annotations

import pytest
from subprocesses import current_database_url
from sync_all_types import sync_all_argv
from sync_commands import run_command, run_failing

from ingestion.management import fan_out
from ingestion.models import HubSpotContact, SyncHistory
from ingestion.sync.hubspot.accounts import in_portal

from .test_isolation import upstream_contacts

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def children(two_portals, monkeypatch, settings):
    """Each portal's process runs the definitions and contacts, on this test's database;
    the implicit portal has no token (a and b are every portal)."""
    assert fan_out.manage_py("sync_hubspot_all")[-1] == "sync_hubspot_all"
    monkeypatch.setattr(fan_out, "manage_py", lambda command: sync_all_argv(("contacts",)))
    monkeypatch.setenv("DATABASE_URL", current_database_url())
    monkeypatch.setenv("HUBSPOT_API_VERSION", settings.HUBSPOT_API_VERSION)
    monkeypatch.setenv("HUBSPOT_SEARCH_REQUESTS_PER_SECOND", "50")
    settings.HUBSPOT_ACCESS_TOKEN = ""
    return two_portals


def tables(out: str) -> dict[str, dict[str, str]]:
    """Each portal's table (by its heading's name): type → status; and "total": portal →
    status."""
    found: dict[str, dict[str, str]] = {}
    current = None
    for line in out.splitlines():
        cells = line.split()
        if line.startswith("portal ") and "(id" in line:
            current = found.setdefault(cells[1], {})
        elif cells and cells[0] == "portal" and cells[1] == "status":
            current = found.setdefault("total", {})
        elif cells and current is not None and cells[0] not in ("type",) and ":" not in cells[0]:
            current[cells[0]] = cells[-1] if current is not found.get("total") else cells[1]
    return found


def contacts_of(name: str) -> set[str]:
    with in_portal(name):
        return set(HubSpotContact.objects.filter(archived=False).values_list("pk", flat=True))


def test_all_portals_when_b_token_refused_then_b_fails_alone_a_synced_exit_1(
        children, monkeypatch):
    first, _ = children
    monkeypatch.setenv("PORTAL_B_TOKEN", "pat-na1-refused")
    error, run = run_failing("sync_hubspot_all", "--all-portals", "--full")
    assert error.returncode == 1 and "b (failed)" in str(error), run.out + run.err
    found = tables(run.out)
    assert found["a"]["contacts"] == "success" and found["a"]["properties"] == "success"
    assert "success" not in found["b"].values() and "failed" in found["b"].values()
    assert found["total"] == {"a": "success", "b": "failed", "total": "failed"}
    assert "portal b (id 2002)" in run.out
    assert "b: exit 1: " in run.out and "refused" in run.out
    assert contacts_of("a") == upstream_contacts(first)
    assert contacts_of("b") == set()
    with in_portal("a"):  # the total's requests are a's recorded ones
        spent = sum(r.details.get("requests", 0) for r in SyncHistory.objects.all())
    total_a = next(line for line in run.out.splitlines()
                   if line.split()[:2] == ["a", "success"])
    assert int(total_a.split()[3]) == spent > 0


def test_all_portals_parallel_when_a_variable_missing_then_a_fails_b_synced_both_tables(
        children, monkeypatch):
    _, second = children
    monkeypatch.delenv("PORTAL_A_TOKEN")
    error, run = run_failing("sync_hubspot_all", "--all-portals", "--parallel", "2")
    assert error.returncode == 1, run.out + run.err
    found = tables(run.out)
    assert found["b"]["contacts"] == "success"
    assert found["total"] == {"a": "failed", "b": "success", "total": "failed"}
    assert "PORTAL_A_TOKEN" in run.out  # why a failed, under its table
    assert contacts_of("b") == upstream_contacts(second)
    assert contacts_of("a") == set()


def test_all_portals_when_every_portal_succeeds_then_exit_0_and_both_synced(children):
    first, second = children
    run = run_command("sync_hubspot_all", "--all-portals", "--parallel", "2")
    assert tables(run.out)["total"] == {"a": "success", "b": "success", "total": "success"}
    assert contacts_of("a") == upstream_contacts(first)
    assert contacts_of("b") == upstream_contacts(second)


@pytest.mark.parametrize(("flags", "said"), [(("--portal", "a"), "choose one"),
                                             (("--plan",), "--plan goes with one portal")])
def test_all_portals_with_portal_or_plan_when_run_then_usage_error(two_portals, flags, said):
    error, _ = run_failing("sync_hubspot_all", "--all-portals", *flags)
    assert error.returncode == 2 and said in str(error)
