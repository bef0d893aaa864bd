from .base import HubSpotObject
from .contacts import HubSpotContact
from .sync import SyncError, SyncHistory

__all__ = ["HubSpotContact", "HubSpotObject", "SyncError", "SyncHistory"]
