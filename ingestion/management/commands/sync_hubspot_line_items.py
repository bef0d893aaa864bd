from ingestion.sync.hubspot.engines.line_items import HubSpotLineItemSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotLineItemSyncEngine
