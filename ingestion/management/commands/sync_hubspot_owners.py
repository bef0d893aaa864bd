from ingestion.sync.hubspot.engines.owners import HubSpotOwnerSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotOwnerSyncEngine
