"""Custom objects: the schemas, and one engine class per schema, made at run time.

A custom object type that appears upstream is synced by the next run with no code change:
`custom_object_engines()` asks the schemas API which types exist.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from ingestion.base.results import RecordFailure
from ingestion.models import HubSpotCustomObject, HubSpotCustomObjectSchema

from .. import catalog
from ..client import HubSpotClient
from ..errors import HubSpotForbiddenError
from ..transform import identify as identify_record
from ..transform import to_row
from .base import HubSpotBaseSyncEngine
from .definitions import HubSpotDefinitionSyncEngine

log = logging.getLogger("ingestion.sync")


class HubSpotCustomObjectSchemaSyncEngine(HubSpotDefinitionSyncEngine):
    object_type = "schemas"
    model = HubSpotCustomObjectSchema

    def items(self):
        yield catalog.schemas(self.client)

    def row(self, schema: dict):
        labels = schema.get("labels") or {}
        return schema, {
            "id": str(schema["objectTypeId"]), "name": schema.get("name"),
            "fully_qualified_name": schema.get("fullyQualifiedName"),
            "label_singular": labels.get("singular"), "label_plural": labels.get("plural"),
            "primary_display_property": schema.get("primaryDisplayProperty"),
            "associations": schema.get("associations") or []}


class HubSpotCustomObjectSyncEngine(HubSpotBaseSyncEngine):
    """The records of one custom object type; `object_type` is its objectTypeId."""

    model = HubSpotCustomObject
    label = "custom objects"
    created_property = "hs_createdate"
    source_id_column = "record_id"

    @classmethod
    def for_schema(cls, schema: dict) -> type[HubSpotCustomObjectSyncEngine]:
        type_id = str(schema["objectTypeId"])
        return type(f"HubSpotCustomObjectSyncEngine_{type_id.replace('-', '_')}", (cls,), {
            "object_type": type_id, "label": f"{schema.get('name') or 'custom'} ({type_id})",
            "association_types": association_targets(schema)})

    def scope(self):
        return self.model.objects.filter(object_type_id=self.object_type)

    def local_id(self, source_id: str) -> str:
        return f"{self.object_type}:{source_id}"

    def source_id(self, local_id: str) -> str:
        return local_id.split(":", 1)[1]

    def identify(self, record: dict) -> dict:
        key = identify_record(record)
        return {**key, "id": f"{self.object_type}:{key['id']}"}

    def transform(self, record: dict) -> tuple[dict, list[str]]:
        row, warnings = to_row(record, {})
        row.update(id=f"{self.object_type}:{row['id']}", object_type_id=self.object_type,
                   record_id=row["id"])
        return row, warnings

    def after_batch(self, rows: list[dict], related: Mapping[str, object]
                    ) -> list[RecordFailure]:
        # Associations are keyed by HubSpot's record id, not by this table's composite key.
        by_record_id = [{**r, "id": r["id"].split(":", 1)[1]} for r in rows]
        failures = super().after_batch(by_record_id, related)
        return [RecordFailure(f"{self.object_type}:{f.object_id}", f.reason) for f in failures]


def association_targets(schema: dict) -> tuple[str, ...]:
    """The types a custom object type is associated with, by the schema's definitions
    (standard types by name, other custom types by type id)."""
    own = str(schema.get("objectTypeId"))
    targets = set()
    for definition in schema.get("associations") or []:
        ends = {str(definition.get("fromObjectTypeId")), str(definition.get("toObjectTypeId"))}
        other = (ends - {own}) or {own}
        targets |= {catalog.OBJECT_TYPE_NAMES.get(t, t) for t in other}
    return tuple(sorted(targets))


def readable_schemas(client: HubSpotClient) -> list[dict] | None:
    """The live custom object schemas, or None when the app may not read schemas (HTTP 403:
    a portal without custom objects, or a token without `crm.schemas.custom.read`)."""
    try:
        schemas = catalog.schemas(client)
    except HubSpotForbiddenError as error:
        log.warning("custom objects skipped: this app may not read object schemas (%s)", error)
        return None
    return [schema for schema in schemas if not schema.get("archived")]


def custom_object_engines(client: HubSpotClient) -> list[type[HubSpotBaseSyncEngine]]:
    """What syncs custom objects now: the schemas, then one engine class per custom object
    type; nothing at all when the app may not read schemas."""
    schemas = readable_schemas(client)
    if schemas is None:
        return []
    return [HubSpotCustomObjectSchemaSyncEngine,
            *(HubSpotCustomObjectSyncEngine.for_schema(schema) for schema in schemas)]
