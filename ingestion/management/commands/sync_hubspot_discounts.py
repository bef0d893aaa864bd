from ingestion.sync.hubspot.engines.discounts import HubSpotDiscountSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotDiscountSyncEngine
