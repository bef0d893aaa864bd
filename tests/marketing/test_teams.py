"""sync_hubspot_roles, _teams, _settings_users and the owners' teams, end to end against the
emulator's settings users API: the rows, the team memberships (hubspot_team_member) and the
owners' teams (hubspot_owner_team) replaced by what HubSpot lists, the modes, a 403 skipping
the type, a bad item failing alone, verify and the typed views
(docs/hubspot-api.md#teams-and-roles, docs/modes.md#teams-and-roles)."""

from __future__ import annotations

import pytest
from django.db import connection
from sync_commands import run_command, run_failing
from upstream import listing

from ingestion.models import (
    HubSpotOwner,
    HubSpotOwnerTeam,
    HubSpotRole,
    HubSpotSettingsUser,
    HubSpotTeam,
    HubSpotTeamMember,
    SyncHistory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("few_attempts")]

USERS = "/settings/v3/users"


def sync_settings() -> dict[str, dict[str, int]]:
    """Roles, teams, then the users who name them (sync_hubspot_all's order)."""
    return {name: run_command(f"sync_hubspot_{name}")[name]
            for name in ("roles", "teams", "settings_users")}


def members() -> set[tuple[str, str, bool]]:
    return set(HubSpotTeamMember.objects.values_list("team_id", "user_id", "is_primary"))


def owner_teams() -> set[tuple[str, str, bool]]:
    return set(HubSpotOwnerTeam.objects.values_list("owner_id", "team_id", "is_primary"))


def upstream_members(api) -> set[tuple[str, str, bool]]:
    teams = api.get(f"{USERS}/teams").json()["results"]
    return ({(t["id"], u, True) for t in teams for u in t["userIds"]}
            | {(t["id"], u, False) for t in teams for u in t["secondaryUserIds"]})


@pytest.mark.usefixtures("api_family")
def test_first_run_when_synced_then_roles_teams_users_and_members_stored(hubspot, api):
    run = sync_settings()
    users = listing(api, USERS)
    assert run["settings_users"]["created"] == len(users) == HubSpotSettingsUser.objects.count()
    assert run["teams"]["created"] == HubSpotTeam.objects.count() == 4
    assert run["roles"]["created"] == HubSpotRole.objects.count() == 3
    assert members() == upstream_members(api) and len(members()) > len(users)
    first = HubSpotSettingsUser.objects.get(pk=users[0]["id"])
    assert (first.email, first.role_id, first.primary_team_id, first.super_admin) == (
        users[0]["email"], users[0]["roleId"], users[0]["primaryTeamId"], True)
    assert HubSpotRole.objects.get(pk="200003").requires_billing_write is True
    assert HubSpotTeam.objects.get(pk="1003").user_ids == []
    assert set(SyncHistory.objects.values_list("status", flat=True)) == {"success"}
    again = sync_settings()  # no modified times: unchanged by their JSON, not rewritten
    assert all(again[name]["skipped"] == again[name]["fetched"] > 0 for name in again)


def test_user_leaves_team_when_synced_again_then_members_and_owner_teams_replaced(hubspot,
                                                                                  api):
    run_command("sync_hubspot_teams")
    run_command("sync_hubspot_owners")
    owner = HubSpotOwner.objects.filter(type="PERSON", archived=False).order_by("id").first()
    before = owner_teams()
    assert {(o, t) for o, t, _ in before if o == owner.id} == {(owner.id, "1000")}
    assert run_command("sync_hubspot_teams")["teams"]["skipped"] == 4  # same JSON: unchanged
    hubspot.control.user_teams(owner.user_id, "1002", ["1003"])
    teams = run_command("sync_hubspot_teams")["teams"]
    assert (teams["updated"], teams["skipped"]) == (3, 1)  # left 1000, joined 1002 and 1003
    again = run_command("sync_hubspot_owners")["owners"]
    assert members() == upstream_members(api)
    assert ("1000", str(owner.user_id), True) not in members()
    assert {("1002", str(owner.user_id), True), ("1003", str(owner.user_id), False)} <= members()
    # The owner's updatedAt did not move: its row is skipped, its teams still replaced.
    assert again["updated"] == 0 and again["skipped"] == again["fetched"]
    assert owner_teams() - before == {(owner.id, "1002", True), (owner.id, "1003", False)}
    assert before - owner_teams() == {(owner.id, "1000", True)}


def test_force_overwrite_and_dry_run_when_run_then_base_engine_modes_members_kept(hubspot):
    dry = run_command("sync_hubspot_teams", "--dry-run")["teams"]
    assert dry["created"] == 4 and not HubSpotTeam.objects.exists() and not members()
    run_command("sync_hubspot_teams")
    run_command("sync_hubspot_owners")
    stored, stored_owner_teams = members(), owner_teams()
    assert run_command("sync_hubspot_teams", "--force-overwrite")["teams"]["overwritten"] == 4
    forced = run_command("sync_hubspot_owners", "--force-overwrite")["owners"]
    assert forced["overwritten"] == HubSpotOwner.objects.count()
    assert members() == stored and owner_teams() == stored_owner_teams


def test_team_gone_upstream_when_full_run_then_archived_and_its_members_dropped(hubspot,
                                                                                monkeypatch):
    run_command("sync_hubspot_teams")
    assert {t for t, _, _ in members()} >= {"1000", "1001"}
    from ingestion.sync.hubspot.engines import teams as engine_module

    original = engine_module.HubSpotTeamSyncEngine._read
    monkeypatch.setattr(engine_module.HubSpotTeamSyncEngine, "_read",
                        lambda self: [t for t in original(self) if t["id"] != "1000"])
    assert run_command("sync_hubspot_teams")["teams"]["archived"] == 1
    assert HubSpotTeam.objects.get(pk="1000").archived
    assert "1000" not in {t for t, _, _ in members()} and "1001" in {t for t, _, _ in members()}


def test_malformed_items_when_synced_then_each_fails_alone_rest_and_members_saved(
        hubspot, monkeypatch):
    from ingestion.sync.hubspot.engines import teams as engine_module

    captured = [{"id": "1", "name": "ok", "userIds": ["7"], "secondaryUserIds": ["8"]},
                {"id": "2", "name": "bad", "userIds": "7"}, {"name": "no id"},
                {"id": "3", "name": "bad member", "userIds": [["7"]]}]
    monkeypatch.setattr(engine_module.HubSpotTeamSyncEngine, "_read", lambda self: captured)
    error, _ = run_failing("sync_hubspot_teams")
    assert error.returncode == 3  # partial
    assert list(HubSpotTeam.objects.values_list("id", flat=True)) == ["1"]
    assert members() == {("1", "7", True), ("1", "8", False)}
    reasons = {e.object_id: e.reason for e in SyncHistory.objects.get().errors.all()}
    assert set(reasons) == {"2", "3", "no id"} and "userIds unreadable" in reasons["2"]


def test_owner_with_unreadable_teams_when_synced_then_fails_alone(hubspot, api):
    first = listing(api, "/crm/v3/owners")[0]
    hubspot.control.set_faults(script=[{"kind": "body", "body": {"results": [
        {**first, "teams": "Sales"}, {**first, "id": "7", "teams": [{"id": "1001",
                                                                    "primary": True}]}]}}],
                               match={"path_prefix": "/crm/v3/owners"})
    error, _ = run_failing("sync_hubspot_owners")
    assert error.returncode == 3
    assert ("7", "1001", True) in owner_teams()
    assert not HubSpotOwner.objects.filter(pk=first["id"]).exists()
    reasons = {e.object_id: e.reason for e in SyncHistory.objects.get().errors.all()}
    assert "owner teams unreadable" in reasons[first["id"]]


def test_roles_refused_when_tier_lacks_them_then_skipped_and_teams_users_synced(hubspot):
    hubspot.control.set_faults(rate=1.0, kinds=["403"], match={"path_prefix": f"{USERS}/roles"})
    error, _ = run_failing("sync_hubspot_roles")
    assert error.returncode == 77 and "no access" in str(error)
    assert run_command("sync_hubspot_teams")["teams"]["created"] == 4
    assert run_command("sync_hubspot_settings_users")["settings_users"]["created"] > 0
    assert not HubSpotRole.objects.exists()
    assert not SyncHistory.objects.filter(object_type="roles").exists()


def test_teams_scope_missing_when_synced_then_exit_77_nothing_recorded(hubspot):
    hubspot.control.deny_scopes(["settings.users.teams.read"])
    error, _ = run_failing("sync_hubspot_teams")
    assert error.returncode == 77 and not SyncHistory.objects.exists()
    assert run_command("sync_hubspot_settings_users")["settings_users"]["created"] > 0


def test_verify_when_a_team_row_missing_then_not_exact_and_fix_restores(hubspot):
    run_command("sync_hubspot_teams")
    assert "teams" in run_command("verify_hubspot", "--types", "teams").out
    HubSpotTeam.objects.filter(pk="1003").delete()
    error, run = run_failing("verify_hubspot", "--types", "teams")
    assert error.returncode == 4
    row = next(line for line in run.out.splitlines() if line.startswith("teams "))
    assert row.split()[1:5] == ["4", "3", "1", "0"]  # hubspot, local, missing, extra
    run_command("verify_hubspot", "--types", "teams", "--fix")
    assert HubSpotTeam.objects.count() == 4


def test_typed_views_when_synced_then_columns_typed_without_raw(hubspot):
    sync_settings()
    run_command("build_hubspot_views")
    with connection.cursor() as cursor:
        cursor.execute("SELECT u.id, u.super_admin, r.name FROM hubspot_settings_user_v u "
                       "JOIN hubspot_role_v r ON r.id = u.role_id WHERE u.super_admin")
        admins = cursor.fetchall()
        described = [c.name for c in connection.introspection.get_table_description(
            cursor, "hubspot_team_v")]
    assert len(admins) == 1 and admins[0][2] == "Sales manager"
    assert "raw" not in described and "name" in described
