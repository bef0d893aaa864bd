from ingestion.models import HubSpotAppointment

from .base import HubSpotBaseSyncEngine


class HubSpotAppointmentSyncEngine(HubSpotBaseSyncEngine):
    object_type = "appointments"
    model = HubSpotAppointment
    created_property = "hs_createdate"
    association_types = ("contacts", "companies", "deals")
