from ingestion.sync.hubspot.engines.communications import HubSpotCommunicationSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotCommunicationSyncEngine
