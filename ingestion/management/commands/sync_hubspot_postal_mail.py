from ingestion.sync.hubspot.engines.postal_mail import HubSpotPostalMailSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotPostalMailSyncEngine
