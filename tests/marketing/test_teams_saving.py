"""Saving captured JSON (no HTTP, no database): what a team, role, user and owner become as
rows and memberships. The JSON follows HubSpot's reference examples
(docs/hubspot-api.md#teams-and-roles; the owners guide for `teams`)."""

from __future__ import annotations

import pytest

from ingestion.base.results import RecordError
from ingestion.sync.hubspot import teams
from ingestion.sync.hubspot.engines.owners import HubSpotOwnerSyncEngine
from ingestion.sync.hubspot.engines.teams import (
    HubSpotRoleSyncEngine,
    HubSpotSettingsUserSyncEngine,
    HubSpotTeamSyncEngine,
)

pytestmark = pytest.mark.once

TEAM = {"id": "6792031", "name": "Inside sales", "userIds": ["1", "2"],
        "secondaryUserIds": ["3", "2"]}
ROLE = {"id": "86", "name": "Sales rep", "requiresBillingWrite": False}
USER = {"id": "1", "email": "ana@example.com", "firstName": "Ana", "lastName": "Ruiz",
        "roleId": "86", "roleIds": ["86"], "primaryTeamId": "6792031",
        "secondaryTeamIds": ["6792032"], "superAdmin": False}
OWNER = {"id": "41029301", "email": "ana@example.com", "firstName": "Ana", "lastName": "Ruiz",
         "userId": 1, "userIdIncludingInactive": 1, "type": "PERSON",
         "createdAt": "2024-01-02T03:04:05.000Z", "updatedAt": "2025-01-02T03:04:05.000Z",
         "archived": False, "teams": [{"id": "6792031", "name": "Inside sales", "primary": True},
                                      {"id": "6792032", "name": "Field", "primary": False}]}


def saved(engine_class, item) -> dict:
    return engine_class(client=None).transform(item)[0]


def test_team_when_saved_then_columns_and_members_primary_wins_over_secondary():
    row = saved(HubSpotTeamSyncEngine, TEAM)
    assert (row["id"], row["name"], row["user_ids"], row["secondary_user_ids"]) == (
        "6792031", "Inside sales", ["1", "2"], ["3", "2"])
    assert row["raw"] == TEAM and row["updated_at"] is None and not row["archived"]
    assert teams.members_of(TEAM) == (("1", True), ("2", True), ("3", False))


def test_role_and_user_when_saved_then_typed_columns():
    role = saved(HubSpotRoleSyncEngine, ROLE)
    assert (role["id"], role["name"], role["requires_billing_write"]) == ("86", "Sales rep", False)
    user = saved(HubSpotSettingsUserSyncEngine, USER)
    assert (user["email"], user["role_id"], user["role_ids"], user["primary_team_id"],
            user["secondary_team_ids"], user["super_admin"]) == (
        "ana@example.com", "86", ["86"], "6792031", ["6792032"], False)
    assert saved(HubSpotSettingsUserSyncEngine, {"id": 5})["super_admin"] is None


def test_owner_when_saved_then_its_teams_as_links_primary_flagged():
    assert saved(HubSpotOwnerSyncEngine, OWNER)["teams"] == OWNER["teams"]
    assert teams.teams_of(OWNER) == (("6792031", True), ("6792032", False))
    assert teams.teams_of({"id": "9", "teams": None}) == ()
    twice = {"id": "9", "teams": [{"id": 5, "primary": False}, {"id": "5", "primary": True}]}
    assert teams.teams_of(twice) == (("5", True),)


@pytest.mark.parametrize("team", [
    {"id": "1", "userIds": "1"}, {"id": "1", "userIds": [None]},
    {"id": "1", "secondaryUserIds": [{"id": "2"}]}, {"id": "1", "userIds": ["x" * 1001]},
    {"name": "no id"}])
def test_malformed_team_when_saved_then_record_error_by_its_id(team):
    with pytest.raises(RecordError) as failure:
        saved(HubSpotTeamSyncEngine, team)
    assert failure.value.object_id == str(team.get("id") or team.get("name"))


@pytest.mark.parametrize("owner_teams", ["Sales", [{"name": "no id"}], [7]])
def test_owner_with_malformed_teams_when_saved_then_record_error_by_its_id(owner_teams):
    with pytest.raises(RecordError) as failure:
        saved(HubSpotOwnerSyncEngine, {**OWNER, "teams": owner_teams})
    assert failure.value.object_id == OWNER["id"] and "owner teams" in failure.value.reason


def test_user_with_malformed_team_list_when_saved_then_record_error():
    with pytest.raises(RecordError, match="secondaryTeamIds"):
        saved(HubSpotSettingsUserSyncEngine, {**USER, "secondaryTeamIds": "6792032"})
