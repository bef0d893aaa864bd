from ingestion.sync.hubspot.engines.products import HubSpotProductSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotProductSyncEngine
