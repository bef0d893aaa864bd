from ingestion.sync.hubspot.engines.meetings import HubSpotMeetingSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotMeetingSyncEngine
