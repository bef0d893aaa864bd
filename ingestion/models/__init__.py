from .analytics import HubSpotPropertyHistory, HubSpotViewColumn
from .associations import HubSpotAssociation
from .base import DeletedKind, HubSpotObject
from .contacts import HubSpotContact
from .custom import HubSpotCustomObject, HubSpotCustomObjectSchema
from .engagements import HubSpotCall, HubSpotEmail, HubSpotMeeting, HubSpotNote, HubSpotTask
from .metadata import HubSpotOwner, HubSpotPipeline, HubSpotPipelineStage, HubSpotProperty
from .objects import HubSpotCompany, HubSpotDeal, HubSpotLineItem, HubSpotProduct, HubSpotTicket
from .sync import OAuthGrant, QuarantinedRecord, SyncError, SyncHistory
from .webhooks import WebhookEvent

__all__ = [
    "DeletedKind",
    "HubSpotAssociation",
    "HubSpotCall",
    "HubSpotCompany",
    "HubSpotContact",
    "HubSpotCustomObject",
    "HubSpotCustomObjectSchema",
    "HubSpotDeal",
    "HubSpotEmail",
    "HubSpotLineItem",
    "HubSpotMeeting",
    "HubSpotNote",
    "HubSpotObject",
    "HubSpotOwner",
    "HubSpotPipeline",
    "HubSpotPipelineStage",
    "HubSpotProduct",
    "HubSpotProperty",
    "HubSpotPropertyHistory",
    "HubSpotTask",
    "HubSpotTicket",
    "HubSpotViewColumn",
    "OAuthGrant",
    "QuarantinedRecord",
    "SyncError",
    "SyncHistory",
    "WebhookEvent",
]
