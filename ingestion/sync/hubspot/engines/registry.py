"""Which engine mirrors which HubSpot object type: the one list every command and job uses.

Record types (CRM objects with ids, modified times, archived copies and links) are the ones
link refresh, deletion detection, verification and webhook events work on; definitions
(properties, owners, pipelines) are always read whole.
"""

from __future__ import annotations

from ..client import HubSpotClient
from .base import HubSpotBaseSyncEngine
from .calls import HubSpotCallSyncEngine
from .companies import HubSpotCompanySyncEngine
from .contacts import HubSpotContactSyncEngine
from .custom_objects import HubSpotCustomObjectSyncEngine, readable_schemas
from .deals import HubSpotDealSyncEngine
from .emails import HubSpotEmailSyncEngine
from .line_items import HubSpotLineItemSyncEngine
from .meetings import HubSpotMeetingSyncEngine
from .notes import HubSpotNoteSyncEngine
from .owners import HubSpotOwnerSyncEngine
from .pipelines import HubSpotPipelineStageSyncEngine, HubSpotPipelineSyncEngine
from .products import HubSpotProductSyncEngine
from .properties import HubSpotPropertySyncEngine
from .tasks import HubSpotTaskSyncEngine
from .tickets import HubSpotTicketSyncEngine

DEFINITION_ENGINES = (
    HubSpotPropertySyncEngine, HubSpotOwnerSyncEngine,
    HubSpotPipelineSyncEngine, HubSpotPipelineStageSyncEngine,
)
# In dependency order: what records refer to comes first.
RECORD_ENGINES: tuple[type[HubSpotBaseSyncEngine], ...] = (
    HubSpotCompanySyncEngine, HubSpotContactSyncEngine, HubSpotDealSyncEngine,
    HubSpotTicketSyncEngine, HubSpotProductSyncEngine, HubSpotLineItemSyncEngine,
    HubSpotCallSyncEngine, HubSpotEmailSyncEngine, HubSpotMeetingSyncEngine,
    HubSpotNoteSyncEngine, HubSpotTaskSyncEngine,
)
BY_NAME = {engine.object_type: engine for engine in RECORD_ENGINES}


class UnknownObjectType(ValueError):
    pass


def record_engines(names: list[str] | None, client: HubSpotClient
                   ) -> list[type[HubSpotBaseSyncEngine]]:
    """The engines for these type names (`contacts`, or a custom type's `2-…` id or name),
    in dependency order; every record type, custom ones included, when `names` is None.
    Custom types are looked up in the schemas API only when needed."""
    wanted = None if names is None else list(dict.fromkeys(names))
    standard = [e for e in RECORD_ENGINES if wanted is None or e.object_type in wanted]
    rest = [] if wanted is None else [n for n in wanted if n not in BY_NAME]
    if wanted is not None and not rest:
        return standard
    schemas = readable_schemas(client) or []
    custom = {str(s["objectTypeId"]): s for s in schemas}
    custom.update({str(s.get("name")): s for s in schemas if s.get("name")})
    unknown = [n for n in rest if n not in custom]
    if unknown:
        known = [e.object_type for e in RECORD_ENGINES] + sorted(custom)
        raise UnknownObjectType(f"unknown object type(s) {', '.join(unknown)}; known: "
                                f"{', '.join(known)}")
    chosen = schemas if wanted is None else [custom[n] for n in rest]
    return standard + [HubSpotCustomObjectSyncEngine.for_schema(s) for s in chosen]
