from ingestion.sync.hubspot.engines.forms import HubSpotFormSyncEngine

from ..base_hubspot_sync import BaseHubSpotSyncCommand


class Command(BaseHubSpotSyncCommand):
    engine_class = HubSpotFormSyncEngine
