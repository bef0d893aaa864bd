from ingestion.models import HubSpotCommercePayment

from .base import HubSpotBaseSyncEngine


class HubSpotCommercePaymentSyncEngine(HubSpotBaseSyncEngine):
    object_type = "commerce_payments"
    model = HubSpotCommercePayment
    created_property = "hs_createdate"
    association_types = ("contacts", "companies", "invoices")
