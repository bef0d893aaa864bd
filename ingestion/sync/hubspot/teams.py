"""Who belongs to which team: read from a team's `userIds` / `secondaryUserIds` (the settings
users API) and from an owner's `teams` (the owners API), stored as rows of
`hubspot_team_member` and `hubspot_owner_team` (docs/hubspot-api.md#teams-and-roles).

Each team's (each owner's) rows are replaced by what its last read listed, in every mode: the
row of the team or owner itself is the base engine's (normal save, force overwrite, dry run),
these follow whatever HubSpot said. Reading them is the engines' fetch stage (`members_of`,
`teams_of`: a malformed list fails its team or owner alone); writing them the writer's
(`replace`), one transaction for a batch, or one per team if the database refuses it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import models
from django.utils import timezone

from ingestion.base.chunks import IDS_PER_STATEMENT, chunked
from ingestion.base.results import RecordError, RecordFailure
from ingestion.base.writer import key_too_long, write_each_alone
from ingestion.models import HubSpotOwnerTeam, HubSpotTeamMember

# Members of one team or teams of one owner: (the other side's id, whether primary).
Links = tuple[tuple[str, bool], ...]


def members_of(team: dict) -> Links:
    """A team's users: `userIds` are those whose primary team it is, `secondaryUserIds` those
    who have it as another team. A user in both is primary."""
    primary = _ids(team, "userIds")
    secondary = [i for i in _ids(team, "secondaryUserIds") if i not in primary]
    return tuple((i, True) for i in primary) + tuple((i, False) for i in secondary)


def teams_of(owner: dict) -> Links:
    """An owner's teams (`teams: [{id, name, primary}]`); a team listed twice counts once,
    primary if either says so."""
    teams = owner.get("teams") or []
    if not isinstance(teams, list):
        raise RecordError(str(owner.get("id") or ""), "owner teams unreadable: not a list")
    found: dict[str, bool] = {}
    for team in teams:
        if not isinstance(team, dict) or team.get("id") in (None, "", [], {}):
            raise RecordError(str(owner.get("id") or ""), "owner teams unreadable: "
                                                          "an entry without an id")
        key = _key(str(team["id"]), owner, "owner teams")
        found[key] = found.get(key, False) or team.get("primary") is True
    return tuple(found.items())


def _ids(team: dict, field: str) -> list[str]:
    value = team.get(field) or []
    if not isinstance(value, list) or not all(isinstance(i, (str, int)) and str(i)
                                              for i in value):
        raise RecordError(str(team.get("id") or ""), f"team {field} unreadable")
    return list(dict.fromkeys(_key(str(i), team, f"team {field}") for i in value))


def _key(value: str, item: dict, what: str) -> str:
    # The same on every database: PostgreSQL's index would refuse a key SQLite stores.
    too_long = key_too_long(value)
    if too_long:
        raise RecordError(str(item.get("id") or ""), f"{what} unreadable: {too_long}")
    return value


# -- the writer ----------------------------------------------------------------------------------

def store_team_members(rows: list[dict], related: Mapping[str, object]) -> list[RecordFailure]:
    return _store(HubSpotTeamMember, "team_id", "user_id", rows, related, "team members")


def store_owner_teams(rows: list[dict], related: Mapping[str, object]) -> list[RecordFailure]:
    return _store(HubSpotOwnerTeam, "owner_id", "team_id", rows, related, "owner teams")


def _store(model: type[models.Model], key: str, other: str, rows: list[dict],
           related: Mapping[str, object], what: str) -> list[RecordFailure]:
    """Make each saved row's links (read with it: `related`) its whole set."""
    wanted = {row["id"]: related[row["id"]] for row in rows if row["id"] in related}

    def replace(groups: Mapping[str, Links]) -> None:
        ids = sorted(groups)
        for chunk in chunked(ids, IDS_PER_STATEMENT):
            model.objects.filter(**{f"{key}__in": chunk}).delete()
        synced_at = timezone.now()
        model.objects.bulk_create(
            [model(**{key: owner, other: linked}, is_primary=primary, synced_at=synced_at)
             for owner, links in groups.items() for linked, primary in links],
            batch_size=1000)

    return write_each_alone(wanted, replace, what)


def drop_unseen(model: type[models.Model], key: str, seen: Iterable[str]) -> int:
    """After a complete full read: the links of what it no longer saw (a deleted team, an
    owner gone) go with it."""
    seen = set(seen)
    stored = set(model.objects.values_list(key, flat=True).distinct())
    gone = sorted(stored - seen)
    deleted = 0
    for chunk in chunked(gone, IDS_PER_STATEMENT):
        deleted += model.objects.filter(**{f"{key}__in": chunk}).delete()[0]
    return deleted
