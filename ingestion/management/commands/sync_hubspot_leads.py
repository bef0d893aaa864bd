from ingestion.sync.hubspot.engines.leads import HubSpotLeadSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotLeadSyncEngine
