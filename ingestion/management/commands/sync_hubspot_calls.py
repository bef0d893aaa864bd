from ingestion.sync.hubspot.engines.calls import HubSpotCallSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotCallSyncEngine
