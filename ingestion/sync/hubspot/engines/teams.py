"""Teams, roles and users: the settings users API (docs/hubspot-api.md#teams-and-roles), each
read whole every run (HubSpot gives them no modified time to filter by):

- `teams`: `GET …/users/teams`, every team at once, each with its members' ids (`userIds`:
  primary team, `secondaryUserIds`: another team); the members become rows of
  `hubspot_team_member`, each team's replaced by what its last read listed;
- `roles`: `GET …/users/roles`, every role at once (an account whose tier has no roles, or an
  app without the scope, answers 403: the type is skipped);
- `settings_users`: `GET …/users` paged by `after`, 100 a page.

Legacy settings read `/settings/v3/users/…`, dated ones `/settings/users/2026-03/…`; both
answer the same shapes. A 403 (no `settings.users.read` / `settings.users.teams.read`)
refuses the type before its run (ProbedFirst).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime

from ingestion.base.results import Mode, Page, RecordError, RecordFailure
from ingestion.models import HubSpotRole, HubSpotSettingsUser, HubSpotTeam, HubSpotTeamMember

from .. import teams
from ..limits import SETTINGS_USERS_PAGE_MAX
from .definitions import flag, text
from .sources import HubSpotSourceSyncEngine, SameContentWriter


class _Timeless(HubSpotSourceSyncEngine):
    writer_class = SameContentWriter  # HubSpot gives them no modified time


class _WholeListing(_Timeless):
    """A settings API that answers every item at once (`results`, no paging)."""

    _probed: list | None = None  # the probe's answer: the whole listing, read once a run

    def path(self) -> str:
        raise NotImplementedError

    def probe(self) -> None:
        self._probed = self._read()

    def pages(self, since: datetime | None) -> Iterator[list]:
        listing, self._probed = self._probed, None
        yield self._read() if listing is None else listing

    def upstream_total(self) -> int | None:
        return len(self._read())  # one answer lists them all: its length is HubSpot's count

    def _read(self) -> list:
        return self.client.request("GET", self.path()).results


class HubSpotTeamSyncEngine(_WholeListing):
    object_type = "teams"
    model = HubSpotTeam

    def path(self) -> str:
        return self.client.paths.settings_teams()

    def pages(self, since: datetime | None) -> Iterator[Page]:
        for page in super().pages(since):
            yield Page(tuple(page), _members_by_team(page))

    def row(self, team: dict) -> tuple[dict, dict]:
        if team.get("id") in (None, ""):
            raise RecordError("", "a team without an id")
        teams.members_of(team)  # a malformed member list fails the team here, alone
        return team, {"id": str(team["id"]), "name": text(team.get("name")),
                      "user_ids": [str(i) for i in team.get("userIds") or []],
                      "secondary_user_ids": [str(i) for i in team.get("secondaryUserIds")
                                             or []]}

    def written_tables(self, *, during: bool = False) -> list[str]:
        return [*super().written_tables(during=during), HubSpotTeamMember._meta.db_table]

    def after_batch(self, rows: list[dict], related: Mapping[str, object]
                    ) -> list[RecordFailure]:
        return teams.store_team_members(rows, related)

    def _archive_unseen(self, mode: Mode, started: datetime) -> int:
        archived = super()._archive_unseen(mode, started)
        if mode is Mode.FULL and not self.options.dry_run:
            teams.drop_unseen(HubSpotTeamMember, "team_id", self.seen)  # a deleted team's
        return archived


def _members_by_team(page: list) -> dict[str, teams.Links]:
    """Each readable team's members, by team id (an unreadable one is left to `row`, which
    fails it by its id)."""
    members = {}
    for team in page:
        if isinstance(team, dict) and team.get("id") not in (None, ""):
            try:
                members[str(team["id"])] = teams.members_of(team)
            except RecordError:
                continue
    return members


class HubSpotRoleSyncEngine(_WholeListing):
    object_type = "roles"
    model = HubSpotRole

    def path(self) -> str:
        return self.client.paths.settings_roles()

    def row(self, role: dict) -> tuple[dict, dict]:
        if role.get("id") in (None, ""):
            raise RecordError("", "a role without an id")
        return role, {"id": str(role["id"]), "name": text(role.get("name")),
                      "requires_billing_write": flag(role.get("requiresBillingWrite"))}


class HubSpotSettingsUserSyncEngine(_Timeless):
    object_type = "settings_users"
    model = HubSpotSettingsUser

    def probe(self) -> None:
        self.client.request("GET", self.client.paths.settings_users(), params={"limit": 1})

    def pages(self, since: datetime | None) -> Iterator[list]:
        yield from self.listed(self.client.paths.settings_users(),
                               {"limit": SETTINGS_USERS_PAGE_MAX})

    def row(self, user: dict) -> tuple[dict, dict]:
        if user.get("id") in (None, ""):
            raise RecordError("", "a user without an id")
        return user, {
            "id": str(user["id"]), "email": text(user.get("email")),
            "first_name": text(user.get("firstName")), "last_name": text(user.get("lastName")),
            "role_id": text(user.get("roleId")),
            "role_ids": _id_list(user, "roleIds"),
            "primary_team_id": text(user.get("primaryTeamId")),
            "secondary_team_ids": _id_list(user, "secondaryTeamIds"),
            "super_admin": flag(user.get("superAdmin"))}


def _id_list(item: dict, field: str) -> list[str]:
    value = item.get(field) or []
    if not isinstance(value, list):
        raise RecordError(str(item.get("id") or ""), f"{field} unreadable: not a list")
    return [str(i) for i in value]
