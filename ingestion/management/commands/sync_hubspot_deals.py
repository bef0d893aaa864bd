from ingestion.sync.hubspot.engines.deals import HubSpotDealSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotDealSyncEngine
