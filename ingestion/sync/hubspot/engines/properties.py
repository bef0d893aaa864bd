from ingestion.models import HubSpotProperty

from .. import catalog
from .custom_objects import readable_schemas
from .definitions import HubSpotDefinitionSyncEngine, integer


class HubSpotPropertySyncEngine(HubSpotDefinitionSyncEngine):
    """Property definitions of every standard type and every custom object type (keyed by
    its objectTypeId), live and archived; HubSpot's default, non-sensitive ones."""

    object_type = "properties"
    model = HubSpotProperty

    def items(self):
        custom = [s["objectTypeId"] for s in readable_schemas(self.client) or []]
        for object_type in [*catalog.OBJECT_TYPE_IDS, *custom]:
            for archived in (False, True):
                yield [(object_type, p) for p in catalog.property_definitions(
                    self.client, object_type, archived=archived)]

    def row(self, item):
        object_type, prop = item
        return prop, {
            "id": f"{object_type}:{prop['name']}", "object_type": object_type,
            "name": prop["name"], "label": prop.get("label"), "type": prop.get("type"),
            "field_type": prop.get("fieldType"), "group_name": prop.get("groupName"),
            "description": prop.get("description"), "options": prop.get("options") or [],
            "display_order": integer(prop.get("displayOrder")),
            "hubspot_defined": prop.get("hubspotDefined"),
            "custom": not prop.get("hubspotDefined"), "calculated": prop.get("calculated"),
            "has_unique_value": prop.get("hasUniqueValue"), "hidden": prop.get("hidden"),
            "data_sensitivity": prop.get("dataSensitivity")}
