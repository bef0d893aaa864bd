from ingestion.sync.hubspot.engines.projects import HubSpotProjectSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotProjectSyncEngine
