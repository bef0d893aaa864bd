from ingestion.sync.hubspot.engines.subscriptions import HubSpotSubscriptionSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotSubscriptionSyncEngine
