from .analytics import HubSpotPropertyHistory, HubSpotViewColumn
from .associations import HubSpotAssociation
from .base import DeletedKind, HubSpotObject
from .conversations import (
    HubSpotConversationChannel,
    HubSpotConversationChannelAccount,
    HubSpotConversationInbox,
    HubSpotConversationMessage,
    HubSpotConversationThread,
)
from .custom import HubSpotCustomObject, HubSpotCustomObjectSchema
from .lists_forms import (
    HubSpotForm,
    HubSpotFormSubmission,
    HubSpotFormSubmissionValue,
    HubSpotList,
    HubSpotListMembership,
)
from .marketing import (
    SOURCE_MODELS,
    HubSpotCampaign,
    HubSpotDealSplit,
    HubSpotEmailCampaign,
    HubSpotEmailEvent,
    HubSpotMarketingEmail,
    HubSpotMarketingEvent,
    HubSpotMarketingEventParticipation,
    HubSpotSubscriptionChange,
    HubSpotSubscriptionStatus,
    HubSpotSubscriptionType,
    HubSpotWorkflow,
)
from .metadata import HubSpotOwner, HubSpotPipeline, HubSpotPipelineStage, HubSpotProperty
from .objects import OBJECT_MODELS
from .portals import HubSpotPortal
from .sync import (
    OAuthGrant,
    QuarantinedRecord,
    SyncCheckpoint,
    SyncCheckpointIds,
    SyncError,
    SyncHistory,
)
from .teams import (
    HubSpotOwnerTeam,
    HubSpotRole,
    HubSpotSettingsUser,
    HubSpotTeam,
    HubSpotTeamMember,
)
from .webhooks import JournalState, WebhookEvent

# The standard object types' models (HubSpotContact, HubSpotQuote …), built from the table in
# ingestion/object_types.py, are names of this package like the models written by hand.
globals().update({model.__name__: model for model in OBJECT_MODELS.values()})

__all__ = [
    "OBJECT_MODELS",
    "SOURCE_MODELS",
    "DeletedKind",
    "JournalState",
    "HubSpotCampaign",
    "HubSpotAssociation",
    "HubSpotConversationChannel",
    "HubSpotConversationChannelAccount",
    "HubSpotConversationInbox",
    "HubSpotConversationMessage",
    "HubSpotConversationThread",
    "HubSpotCustomObject",
    "HubSpotCustomObjectSchema",
    "HubSpotDealSplit",
    "HubSpotEmailCampaign",
    "HubSpotEmailEvent",
    "HubSpotForm",
    "HubSpotFormSubmission",
    "HubSpotFormSubmissionValue",
    "HubSpotList",
    "HubSpotListMembership",
    "HubSpotMarketingEmail",
    "HubSpotMarketingEvent",
    "HubSpotMarketingEventParticipation",
    "HubSpotObject",
    "HubSpotOwner",
    "HubSpotOwnerTeam",
    "HubSpotPipeline",
    "HubSpotPipelineStage",
    "HubSpotPortal",
    "HubSpotProperty",
    "HubSpotPropertyHistory",
    "HubSpotRole",
    "HubSpotSettingsUser",
    "HubSpotSubscriptionChange",
    "HubSpotSubscriptionStatus",
    "HubSpotSubscriptionType",
    "HubSpotTeam",
    "HubSpotTeamMember",
    "HubSpotViewColumn",
    "HubSpotWorkflow",
    "OAuthGrant",
    "QuarantinedRecord",
    "SyncError",
    "SyncCheckpoint",
    "SyncCheckpointIds",
    "SyncHistory",
    "WebhookEvent",
    *(model.__name__ for model in OBJECT_MODELS.values()),
]
