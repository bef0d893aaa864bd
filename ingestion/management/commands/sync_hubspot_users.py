from ingestion.sync.hubspot.engines.users import HubSpotUserSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotUserSyncEngine
