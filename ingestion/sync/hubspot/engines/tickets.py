from ingestion.models import HubSpotTicket

from .base import HubSpotBaseSyncEngine


class HubSpotTicketSyncEngine(HubSpotBaseSyncEngine):
    object_type = "tickets"
    model = HubSpotTicket
    association_types = ("contacts", "companies", "deals")
