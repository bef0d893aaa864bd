from ingestion.sync.hubspot.engines.listings import HubSpotListingSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotListingSyncEngine
