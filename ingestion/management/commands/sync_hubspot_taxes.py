from ingestion.sync.hubspot.engines.taxes import HubSpotTaxSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotTaxSyncEngine
