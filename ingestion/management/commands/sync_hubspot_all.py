from ingestion.sync.hubspot.engines.calls import HubSpotCallSyncEngine
from ingestion.sync.hubspot.engines.companies import HubSpotCompanySyncEngine
from ingestion.sync.hubspot.engines.contacts import HubSpotContactSyncEngine
from ingestion.sync.hubspot.engines.custom_objects import custom_object_engines
from ingestion.sync.hubspot.engines.deals import HubSpotDealSyncEngine
from ingestion.sync.hubspot.engines.emails import HubSpotEmailSyncEngine
from ingestion.sync.hubspot.engines.line_items import HubSpotLineItemSyncEngine
from ingestion.sync.hubspot.engines.meetings import HubSpotMeetingSyncEngine
from ingestion.sync.hubspot.engines.notes import HubSpotNoteSyncEngine
from ingestion.sync.hubspot.engines.owners import HubSpotOwnerSyncEngine
from ingestion.sync.hubspot.engines.pipelines import (
    HubSpotPipelineStageSyncEngine,
    HubSpotPipelineSyncEngine,
)
from ingestion.sync.hubspot.engines.products import HubSpotProductSyncEngine
from ingestion.sync.hubspot.engines.properties import HubSpotPropertySyncEngine
from ingestion.sync.hubspot.engines.tasks import HubSpotTaskSyncEngine
from ingestion.sync.hubspot.engines.tickets import HubSpotTicketSyncEngine

from ..multi_sync import MultiSyncCommand

# Definitions first (what the records refer to), then the CRM records, then custom objects.
ENGINES = (
    HubSpotPropertySyncEngine, HubSpotOwnerSyncEngine,
    HubSpotPipelineSyncEngine, HubSpotPipelineStageSyncEngine,
    HubSpotCompanySyncEngine, HubSpotContactSyncEngine, HubSpotDealSyncEngine,
    HubSpotTicketSyncEngine, HubSpotProductSyncEngine, HubSpotLineItemSyncEngine,
    HubSpotCallSyncEngine, HubSpotEmailSyncEngine, HubSpotMeetingSyncEngine,
    HubSpotNoteSyncEngine, HubSpotTaskSyncEngine,
)


class Command(MultiSyncCommand):
    help = ("Mirror every HubSpot type in order (properties, owners, pipelines, companies, "
            "contacts, deals, tickets, products, line items, engagements, custom objects) with "
            "the flags of the single-type commands. One failing type does not stop the others; "
            "ends with a table. Exit 1 if any type failed, 3 if only some records did.")
    title = "every HubSpot type"

    def steps(self, client):
        yield from ENGINES
        yield from custom_object_engines(client)
