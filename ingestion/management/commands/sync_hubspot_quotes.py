from ingestion.sync.hubspot.engines.quotes import HubSpotQuoteSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotQuoteSyncEngine
