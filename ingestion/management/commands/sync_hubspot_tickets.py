from ingestion.sync.hubspot.engines.tickets import HubSpotTicketSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotTicketSyncEngine
