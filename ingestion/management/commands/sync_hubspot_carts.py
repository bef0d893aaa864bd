from ingestion.sync.hubspot.engines.carts import HubSpotCartSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotCartSyncEngine
