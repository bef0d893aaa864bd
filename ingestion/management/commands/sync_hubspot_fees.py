from ingestion.sync.hubspot.engines.fees import HubSpotFeeSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotFeeSyncEngine
