from ingestion.sync.hubspot.engines.tasks import HubSpotTaskSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotTaskSyncEngine
