"""Which engine mirrors which HubSpot object type: the one list every command and job uses.

Record types (CRM objects with ids, modified times, archived copies and links) are the ones
link refresh, deletion detection, verification and webhook events work on; definitions
(properties, owners, pipelines) are always read whole.
"""

from __future__ import annotations

from ..client import HubSpotClient
from .base import HubSpotBaseSyncEngine
from .campaigns import HubSpotCampaignSyncEngine
from .conversations import (
    HubSpotConversationChannelAccountSyncEngine,
    HubSpotConversationChannelSyncEngine,
    HubSpotConversationInboxSyncEngine,
    HubSpotConversationMessageSyncEngine,
    HubSpotConversationThreadSyncEngine,
)
from .custom_objects import HubSpotCustomObjectSyncEngine, readable_schemas
from .deal_splits import HubSpotDealSplitSyncEngine
from .email_events import HubSpotEmailCampaignSyncEngine, HubSpotEmailEventSyncEngine
from .forms import HubSpotFormSyncEngine
from .lists import HubSpotListSyncEngine
from .marketing_emails import HubSpotMarketingEmailSyncEngine
from .marketing_events import (
    HubSpotMarketingEventParticipationSyncEngine,
    HubSpotMarketingEventSyncEngine,
)
from .owners import HubSpotOwnerSyncEngine
from .pipelines import HubSpotPipelineStageSyncEngine, HubSpotPipelineSyncEngine
from .properties import HubSpotPropertySyncEngine
from .standard import BY_NAME, RECORD_ENGINES
from .subscriptions import (
    HubSpotSubscriptionChangeSyncEngine,
    HubSpotSubscriptionStatusSyncEngine,
    HubSpotSubscriptionTypeSyncEngine,
)
from .teams import HubSpotRoleSyncEngine, HubSpotSettingsUserSyncEngine, HubSpotTeamSyncEngine
from .workflows import HubSpotWorkflowSyncEngine

DEFINITION_ENGINES = (
    HubSpotPropertySyncEngine, HubSpotOwnerSyncEngine,
    HubSpotPipelineSyncEngine, HubSpotPipelineStageSyncEngine,
)
# RECORD_ENGINES (in dependency order: what records refer to comes first) and BY_NAME are
# built from the table of standard types (ingestion/object_types.py) by standard.py.
# Lists and forms: definitions with what hangs off them (memberships, submissions), read
# after the records they name.
MARKETING_ENGINES = (HubSpotListSyncEngine, HubSpotFormSyncEngine)
# The marketing sources (engines/sources.py), each one table read from one API; in order:
# what the others name first.
SOURCE_ENGINES = (
    HubSpotWorkflowSyncEngine, HubSpotCampaignSyncEngine, HubSpotMarketingEmailSyncEngine,
    # Email campaigns before the events that name them.
    HubSpotEmailCampaignSyncEngine, HubSpotEmailEventSyncEngine,
    # Statuses last: an incremental run reads the recipients of the changes stored.
    HubSpotSubscriptionTypeSyncEngine, HubSpotSubscriptionChangeSyncEngine,
    HubSpotSubscriptionStatusSyncEngine,
    # Participations after the events: they are read for the events the mirror holds.
    HubSpotMarketingEventSyncEngine, HubSpotMarketingEventParticipationSyncEngine,
    # Roles and teams before the users who name them.
    HubSpotRoleSyncEngine, HubSpotTeamSyncEngine, HubSpotSettingsUserSyncEngine,
    # Conversations: threads before their messages (a messages run reads the threads the
    # threads run wrote).
    HubSpotConversationInboxSyncEngine, HubSpotConversationChannelSyncEngine,
    HubSpotConversationChannelAccountSyncEngine, HubSpotConversationThreadSyncEngine,
    HubSpotConversationMessageSyncEngine,
    # Deal splits are read by deal: after the deals (records run before every source).
    HubSpotDealSplitSyncEngine)
SOURCES_BY_NAME = {engine.object_type: engine for engine in SOURCE_ENGINES}
__all__ = ["BY_NAME", "DEFINITION_ENGINES", "MARKETING_ENGINES", "RECORD_ENGINES",
           "SOURCES_BY_NAME", "SOURCE_ENGINES", "UnknownObjectType", "record_engines"]


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
