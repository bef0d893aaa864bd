# Through the registry: it tells the engine which record types' typed views to rebuild.
from ingestion.sync.hubspot.engines.registry import HubSpotPropertySyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotPropertySyncEngine
