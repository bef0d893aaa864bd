from ingestion.sync.hubspot.engines.companies import HubSpotCompanySyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotCompanySyncEngine
