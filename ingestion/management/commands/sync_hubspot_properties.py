from ingestion.sync.hubspot.engines.properties import HubSpotPropertySyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotPropertySyncEngine
