from ingestion.sync.hubspot.engines.services import HubSpotServiceSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotServiceSyncEngine
