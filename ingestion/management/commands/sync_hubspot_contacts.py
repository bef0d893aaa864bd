from ingestion.sync.hubspot.engines.contacts import HubSpotContactSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotContactSyncEngine
