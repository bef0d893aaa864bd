"""The standard object types' engines, one class each, built from ingestion/object_types.py.

Below registry.py (which adds the other engines) so that engines/properties.py can name the
record types whose typed views follow its definitions without importing the registry.
"""

from __future__ import annotations

from ingestion.object_types import OBJECT_TYPES

from .base import HubSpotBaseSyncEngine

# In the table's order: dependency order, what records refer to comes first.
RECORD_ENGINES: tuple[type[HubSpotBaseSyncEngine], ...] = tuple(
    HubSpotBaseSyncEngine.for_type(entry) for entry in OBJECT_TYPES)
BY_NAME: dict[str, type[HubSpotBaseSyncEngine]] = {
    engine.object_type: engine for engine in RECORD_ENGINES}
