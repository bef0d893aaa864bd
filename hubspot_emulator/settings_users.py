"""The settings users API: the account's users, teams and roles
(docs/hubspot-api.md#teams-and-roles).

HubSpot facts:
- `GET /settings/v3/users/?limit&after` (dated `/settings/users/{v}`) → `{results: [{id, email,
  firstName, lastName, roleId, roleIds, primaryTeamId, secondaryTeamIds, superAdmin}],
  paging.next.after}`; at most 100 users a page.
- `GET …/users/teams` → `{results: [{id, name, userIds, secondaryUserIds}]}`, every team at
  once (no paging); `userIds`: the users whose primary team it is, `secondaryUserIds`: those
  who have it as another team.
- `GET …/users/roles` → `{results: [{id, name, requiresBillingWrite}]}`, every role at once.
- Scopes: users and roles `settings.users.read` (or `.write`), teams
  `settings.users.teams.read` (or `.write`); a 403 without.

Choices (BEHAVIOR.md): the users are the seeded owners of type PERSON that are live (same
name, email; the owner's `userId` is the user's id; its teams the user's teams); the Queue
owner and archived owners are no users. Four teams (the owners' three and one with no
members), three roles. `limit` past 100 is answered with 100; `after` is an opaque offset.
A user's teams change through the control surface, and the owners API then lists the new
teams for that user's owner, as HubSpot does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from .errors import validation
from .handling import (
    control_handler,
    cursor_offset,
    emulator,
    int_param,
    json_body,
    json_response,
    offset_cursor,
)
from .routes import SETTINGS_USERS, Access, serve
from .schemas import owners
from .seeded import per_store
from .state import Emulator
from .store import Store

USERS_MAX = 100
TEAM_NAMES = {"1000": "Sales", "1001": "Success", "1002": "Support", "1003": "Partners"}
ROLES = ({"id": "200001", "name": "Sales rep", "requiresBillingWrite": False},
         {"id": "200002", "name": "Sales manager", "requiresBillingWrite": False},
         {"id": "200003", "name": "Account admin", "requiresBillingWrite": True})


@dataclass
class User:
    user_id: str
    email: str
    first_name: str
    last_name: str
    role_id: str
    super_admin: bool
    primary_team: str | None
    secondary_teams: list[str] = field(default_factory=list)

    def json(self) -> dict:
        return {"id": self.user_id, "email": self.email, "firstName": self.first_name,
                "lastName": self.last_name, "roleId": self.role_id, "roleIds": [self.role_id],
                "primaryTeamId": self.primary_team, "secondaryTeamIds": list(self.secondary_teams),
                "superAdmin": self.super_admin}


@per_store
def users_of(store: Store) -> dict[str, User]:
    """The portal's users by id (in the owners' order), seeded on first use."""
    users = {}
    for k, owner in enumerate(o for o in owners() if o["type"] == "PERSON" and not o["archived"]):
        primary = next((t["id"] for t in owner["teams"] if t["primary"]), None)
        user = User(str(owner["userId"]), owner["email"], owner["firstName"], owner["lastName"],
                    ROLES[0 if k % 4 else 1]["id"], k == 0, primary,
                    [t["id"] for t in owner["teams"] if not t["primary"]])
        users[user.user_id] = user
    return users


def teams_json(store: Store) -> list[dict]:
    users = users_of(store).values()
    return [{"id": team_id, "name": name,
             "userIds": [u.user_id for u in users if u.primary_team == team_id],
             "secondaryUserIds": [u.user_id for u in users if team_id in u.secondary_teams]}
            for team_id, name in TEAM_NAMES.items()]


def owner_teams(store: Store, owner: dict) -> dict:
    """The owner as the owners API serves it: a user's owner lists that user's teams now."""
    user = users_of(store).get(str(owner.get("userId")))
    if user is None:
        return owner
    teams = ([{"id": user.primary_team, "name": TEAM_NAMES[user.primary_team], "primary": True}]
             if user.primary_team else [])
    teams += [{"id": t, "name": TEAM_NAMES[t], "primary": False} for t in user.secondary_teams]
    return {**owner, "teams": teams}


async def list_users(request: web.Request) -> web.Response:
    limit = min(int_param(request.query.get("limit"), "limit", USERS_MAX), USERS_MAX)
    if limit < 1:
        raise validation("limit must be at least 1")
    users = list(users_of(emulator(request).store).values())
    start = cursor_offset(request.query.get("after"))
    out: dict = {"results": [u.json() for u in users[start:start + limit]]}
    if start + limit < len(users):
        out["paging"] = {"next": {"after": offset_cursor(start + limit)}}
    return json_response(out)



async def list_teams(request: web.Request) -> web.Response:
    return json_response({"results": teams_json(emulator(request).store)})


async def list_roles(request: web.Request) -> web.Response:
    return json_response({"results": [dict(role) for role in ROLES]})


# -- control operations (/_emulator/settings/…) -------------------------------------------------

async def control_user_teams(emu: Emulator, request: web.Request) -> dict:
    """Set a user's teams: `{primaryTeamId (or null), secondaryTeamIds: [...]}` → the user."""
    body = await json_body(request)
    user = users_of(emu.store).get(request.match_info["userId"])
    if user is None:
        raise ValueError(f"no user {request.match_info['userId']}")
    primary = body.get("primaryTeamId")
    secondary = [str(t) for t in body.get("secondaryTeamIds") or []]
    unknown = [t for t in [primary, *secondary] if t is not None and str(t) not in TEAM_NAMES]
    if unknown:
        raise ValueError(f"no team {unknown[0]}")
    user.primary_team = None if primary is None else str(primary)
    user.secondary_teams = [t for t in dict.fromkeys(secondary) if t != user.primary_team]
    return user.json()


def add_routes(app: web.Application) -> None:
    users, teams = Access("settings_users"), Access("settings_teams")
    serve(app, "GET", SETTINGS_USERS, "", list_users, users)
    serve(app, "GET", SETTINGS_USERS, "/", list_users, users)  # the reference's spelling
    serve(app, "GET", SETTINGS_USERS, "/teams", list_teams, teams)
    serve(app, "GET", SETTINGS_USERS, "/roles", list_roles, users)
    app.router.add_post("/_emulator/settings/users/{userId}/teams",
                        control_handler(control_user_teams))
