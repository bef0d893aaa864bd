import logging

from django.db import DatabaseError

from ingestion.base.results import SyncResult
from ingestion.models import HubSpotProperty

from .. import catalog
from ..errors import HubSpotForbiddenError
from ..fivetran import build_layer, layer_exists
from ..typed_views import build_views
from .custom_objects import readable_schemas
from .definitions import HubSpotDefinitionSyncEngine, integer
from .standard import RECORD_ENGINES

log = logging.getLogger("ingestion.sync")


class HubSpotPropertySyncEngine(HubSpotDefinitionSyncEngine):
    """Property definitions of every standard type and every custom object type (keyed by
    its objectTypeId), live and archived; HubSpot's default, non-sensitive ones."""

    object_type = "properties"
    model = HubSpotProperty

    def items(self):
        custom = [s["objectTypeId"] for s in readable_schemas(self.client) or []]
        self.unreadable: list[str] = []
        for object_type in [*catalog.OBJECT_TYPE_IDS, *custom]:
            for archived in (False, True):
                try:
                    definitions = catalog.property_definitions(self.client, object_type,
                                                               archived=archived)
                except HubSpotForbiddenError as error:
                    # A type the app has no scope for (or the portal no feature): skipped,
                    # as sync_hubspot_all skips its records; its stored definitions stay.
                    log.warning("properties of %s skipped: no access (%s)", object_type, error)
                    self.unreadable.append(object_type)
                    break
                yield [(object_type, p) for p in definitions]

    def scope(self):
        # The sweep archives definitions not read: not those of types that could not be read.
        return self.model.objects.exclude(object_type__in=getattr(self, "unreadable", []))

    def run(self, *, within=None) -> SyncResult:
        result = super().run(within=within)
        if not self.options.dry_run and result.complete:
            rebuild_typed_views(RECORD_ENGINES)  # the standard types' views follow them
        return result

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


def rebuild_typed_views(record_engines: tuple) -> None:
    """The typed views follow the definitions just saved (a new property is a new column).
    A failure leaves the old views in place and the definitions saved: it is reported, and
    `build_hubspot_views` can be run again."""
    try:
        report = build_views(record_engines)
        log.info("%s", report.summary())
        if layer_exists():  # built once by hand: it follows the definitions from then on
            log.info("Fivetran layer: %d views rebuilt", len(build_layer()))
    except DatabaseError as error:
        log.warning("views not rebuilt (the previous ones stay): %s",
                    str(error).splitlines()[0])
