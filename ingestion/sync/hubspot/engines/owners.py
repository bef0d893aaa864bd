from collections.abc import Iterator, Mapping
from datetime import datetime

from ingestion.base.results import Mode, Page, RecordError, RecordFailure
from ingestion.models import HubSpotOwner, HubSpotOwnerTeam

from .. import catalog, teams
from .definitions import HubSpotDefinitionSyncEngine, integer


class HubSpotOwnerSyncEngine(HubSpotDefinitionSyncEngine):
    """Owners (`/crm/v3/owners`), live and archived; `hubspot_owner_id` columns hold `id`.
    Each owner's `teams` also become its rows of `hubspot_owner_team`, replaced by what its
    last read listed (docs/hubspot-api.md#teams-and-roles)."""

    object_type = "owners"
    model = HubSpotOwner
    plan_listings = 2  # live, then archived

    def items(self) -> Iterator[Page]:
        listings = [catalog.owner_listing(archived) for archived in (False, True)]
        for page in filter(None, self.listed(self.client.paths.owners(), *listings)):
            yield Page(tuple(page), _teams_by_owner(page), position=page.position)

    def row(self, owner: dict):
        teams.teams_of(owner)  # malformed teams fail the owner here, alone
        return owner, {
            "id": str(owner["id"]), "email": owner.get("email"),
            "first_name": owner.get("firstName"), "last_name": owner.get("lastName"),
            "user_id": integer(owner.get("userId")),
            "user_id_including_inactive": integer(owner.get("userIdIncludingInactive")),
            "type": owner.get("type"), "teams": owner.get("teams") or []}

    def written_tables(self, *, during: bool = False) -> list[str]:
        return [*super().written_tables(during=during), HubSpotOwnerTeam._meta.db_table]

    def after_batch(self, rows: list[dict], related: Mapping[str, object]
                    ) -> list[RecordFailure]:
        return teams.store_owner_teams(rows, related)

    def _archive_unseen(self, mode: Mode, started: datetime) -> int:
        archived = super()._archive_unseen(mode, started)
        if mode is Mode.FULL and not self.options.dry_run:
            teams.drop_unseen(HubSpotOwnerTeam, "owner_id", self.seen)  # an owner gone's
        return archived


def _teams_by_owner(page: list) -> dict[str, teams.Links]:
    """Each readable owner's teams, by owner id (an unreadable list is left to `row`, which
    fails the owner by its id)."""
    found = {}
    for owner in page:
        if isinstance(owner, dict) and owner.get("id") not in (None, ""):
            try:
                found[str(owner["id"])] = teams.teams_of(owner)
            except RecordError:
                continue
    return found
