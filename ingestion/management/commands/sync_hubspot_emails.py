from ingestion.sync.hubspot.engines.emails import HubSpotEmailSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotEmailSyncEngine
