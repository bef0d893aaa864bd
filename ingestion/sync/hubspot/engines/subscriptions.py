from ingestion.models import HubSpotSubscription

from .base import HubSpotBaseSyncEngine


class HubSpotSubscriptionSyncEngine(HubSpotBaseSyncEngine):
    object_type = "subscriptions"
    model = HubSpotSubscription
    created_property = "hs_createdate"
    association_types = ("contacts", "companies", "deals")
