from ingestion.sync.hubspot.engines.invoices import HubSpotInvoiceSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotInvoiceSyncEngine
