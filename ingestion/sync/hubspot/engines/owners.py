from ingestion.models import HubSpotOwner

from .. import catalog
from .definitions import HubSpotDefinitionSyncEngine, integer


class HubSpotOwnerSyncEngine(HubSpotDefinitionSyncEngine):
    """Owners (`/crm/v3/owners`), live and archived; `hubspot_owner_id` columns hold `id`."""

    object_type = "owners"
    model = HubSpotOwner

    def items(self):
        yield from catalog.owner_pages(self.client)
        yield from catalog.owner_pages(self.client, archived=True)

    def row(self, owner: dict):
        return owner, {
            "id": str(owner["id"]), "email": owner.get("email"),
            "first_name": owner.get("firstName"), "last_name": owner.get("lastName"),
            "user_id": integer(owner.get("userId")),
            "user_id_including_inactive": integer(owner.get("userIdIncludingInactive")),
            "type": owner.get("type"), "teams": owner.get("teams") or []}
