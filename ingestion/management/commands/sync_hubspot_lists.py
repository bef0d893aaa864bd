from ingestion.sync.hubspot.engines.lists import HubSpotListSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotListSyncEngine
