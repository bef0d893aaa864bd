from ingestion.sync.hubspot.engines.notes import HubSpotNoteSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotNoteSyncEngine
