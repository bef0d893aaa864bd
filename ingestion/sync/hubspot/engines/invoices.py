from ingestion.models import HubSpotInvoice

from .base import HubSpotBaseSyncEngine


class HubSpotInvoiceSyncEngine(HubSpotBaseSyncEngine):
    object_type = "invoices"
    model = HubSpotInvoice
    created_property = "hs_createdate"
    association_types = ("contacts", "companies", "deals")
