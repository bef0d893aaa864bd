from ingestion.sync.hubspot.engines.courses import HubSpotCourseSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotCourseSyncEngine
