from ingestion.sync.hubspot.engines.commerce_payments import HubSpotCommercePaymentSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotCommercePaymentSyncEngine
