"""Conformance of the settings users API (users, teams, roles) and of the owners' teams: the
calls MeltanoLabs' tap-hubspot (`users`: `GET /settings/v3/users`, `limit=100`, `after` from
`paging.next.after`, records under `results`) and Airbyte's source-hubspot (`owners`,
`owners_archived`: `GET /crm/v3/owners`, `limit=100`, `after`, `archived=true`; no teams,
roles or users streams) make, answered in HubSpot's shapes, and the dated family the mirror
reads (docs/hubspot-api.md#teams-and-roles; BEHAVIOR.md "Teams, roles and users")."""

from __future__ import annotations

import pytest
from upstream import listing

LEGACY = "/settings/v3/users"
DATED = "/settings/users/2026-03"
OWNERS = "/crm/v3/owners"
USER_FIELDS = {"id", "email", "firstName", "lastName", "roleId", "roleIds", "primaryTeamId",
               "secondaryTeamIds", "superAdmin"}


def owners(api) -> list[dict]:
    return listing(api, OWNERS, {"limit": 100}) + listing(api, OWNERS, {"limit": 100,
                                                                        "archived": "true"})


def test_meltano_users_when_paged_by_after_then_every_user_once_with_documented_fields(api):
    whole = api.get(LEGACY, params={"limit": 100}).json()
    assert "paging" not in whole  # one page holds them all
    paged = listing(api, LEGACY, {"limit": 4})  # Meltano's loop: `after` while paging.next
    assert [u["id"] for u in paged] == [u["id"] for u in whole["results"]]
    assert len(paged) > 4 and all(set(u) == USER_FIELDS for u in paged)
    assert api.get(f"{LEGACY}/", params={"limit": 500}).json() == whole  # clamped to 100
    person_owners = {o["userId"]: o for o in owners(api)
                     if o["type"] == "PERSON" and not o["archived"]}
    assert {int(u["id"]) for u in paged} == set(person_owners)
    for user in paged:
        assert user["email"] == person_owners[int(user["id"])]["email"]
        assert isinstance(user["superAdmin"], bool) and user["roleIds"] == [user["roleId"]]


def test_users_when_cursor_unreadable_then_400(api):
    assert api.get(LEGACY, params={"after": "%%%"}).status_code == 400


def test_teams_when_listed_then_members_match_users_and_owners(api):
    teams = api.get(f"{LEGACY}/teams").json()["results"]
    users = {u["id"]: u for u in listing(api, LEGACY)}
    assert all(set(t) == {"id", "name", "userIds", "secondaryUserIds"} for t in teams)
    for team in teams:
        assert all(users[u]["primaryTeamId"] == team["id"] for u in team["userIds"])
        assert all(team["id"] in users[u]["secondaryTeamIds"] for u in team["secondaryUserIds"])
    assert sum(len(t["userIds"]) for t in teams) == len(users)
    assert any(t["secondaryUserIds"] for t in teams)
    assert any(not t["userIds"] for t in teams)  # a team with no members is listed too


def test_roles_and_teams_when_dated_then_same_as_legacy(api):
    for suffix in ("/teams", "/roles"):
        legacy = api.get(f"{LEGACY}{suffix}").json()
        assert legacy == api.get(f"{DATED}{suffix}").json() and legacy["results"]
    roles = api.get(f"{LEGACY}/roles").json()["results"]
    assert all(isinstance(r["requiresBillingWrite"], bool) and r["name"] for r in roles)
    assert listing(api, DATED, {"limit": 3}) == listing(api, LEGACY)


def test_airbyte_owners_when_read_then_teams_name_listed_teams(api):
    team_ids = {t["id"] for t in api.get(f"{LEGACY}/teams").json()["results"]}
    every = owners(api)
    assert any(o["archived"] for o in every)
    for owner in every:
        assert owner["teams"] and {t["id"] for t in owner["teams"]} <= team_ids
        assert sum(t["primary"] for t in owner["teams"]) == 1
    assert any(len(o["teams"]) > 1 for o in every)


def test_control_when_user_leaves_team_then_teams_and_owner_follow(api, emulator):
    user = listing(api, LEGACY)[0]
    emulator.control.user_teams(user["id"], "1001", ["1003"])
    teams = {t["id"]: t for t in api.get(f"{LEGACY}/teams").json()["results"]}
    assert user["id"] not in teams[user["primaryTeamId"]]["userIds"]
    assert user["id"] in teams["1001"]["userIds"] and teams["1003"]["secondaryUserIds"] == [
        user["id"]]
    owner = next(o for o in owners(api) if str(o["userId"]) == user["id"])
    assert owner["teams"] == [{"id": "1001", "name": "Success", "primary": True},
                              {"id": "1003", "name": "Partners", "primary": False}]
    with pytest.raises(RuntimeError):
        emulator.control.user_teams(user["id"], "9999")


@pytest.mark.parametrize(("denied", "path"), [
    ("settings.users.read", LEGACY), ("settings.users.read", f"{LEGACY}/roles"),
    ("settings.users.teams.read", f"{DATED}/teams")])
def test_scopes_when_missing_then_403_naming_the_settings_scopes(api, emulator, denied, path):
    emulator.control.deny_scopes([denied, denied.replace(".read", ".write")])
    answer = api.get(path)
    assert answer.status_code == 403 and answer.json()["category"] == "MISSING_SCOPES"
    assert denied in answer.text
    emulator.control.set_token_scopes([denied])
    assert api.get(path).status_code == 200
