from ingestion.sync.hubspot.engines.custom_objects import custom_object_engines
from ingestion.sync.hubspot.engines.registry import DEFINITION_ENGINES, RECORD_ENGINES

from ..multi_sync import MultiSyncCommand

# Definitions first (what the records refer to), then the CRM records, then custom objects.
ENGINES = (*DEFINITION_ENGINES, *RECORD_ENGINES)


class Command(MultiSyncCommand):
    help = ("Mirror every HubSpot type in order (properties, owners, pipelines, companies, "
            "contacts, deals, tickets, products, line items, engagements, custom objects) with "
            "the flags of the single-type commands. One failing type does not stop the others; "
            "ends with a table. Exit 1 if any type failed, 3 if only some records did.")
    title = "every HubSpot type"

    def steps(self, client):
        yield from ENGINES
        yield from custom_object_engines(client)
