from ingestion.sync.hubspot.engines.appointments import HubSpotAppointmentSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotAppointmentSyncEngine
