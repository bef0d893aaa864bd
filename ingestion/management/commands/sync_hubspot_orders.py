from ingestion.sync.hubspot.engines.orders import HubSpotOrderSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotOrderSyncEngine
