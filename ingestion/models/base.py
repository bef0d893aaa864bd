"""Columns every mirrored HubSpot object has (docs/data-model.md)."""

from django.db import models


class DeletedKind(models.TextChoices):
    ARCHIVED = "archived"  # in HubSpot's recycle bin (listed with archived=true)
    MERGED = "merged"  # absorbed by a merge; `merged_into` names the surviving record
    VANISHED = "vanished"  # in no listing: hard-deleted, GDPR-deleted, or gone for good
    PRIVACY_DELETED = "privacy_deleted"  # HubSpot said so (webhook): personal data purged


class HubSpotObject(models.Model):
    """A HubSpot CRM record: typed core columns (in subclasses) plus every property raw.

    `id` is HubSpot's record id (unique within an object type). `properties` keeps every
    property HubSpot returned, custom ones included, exactly as sent (strings or null).
    """

    id = models.CharField(primary_key=True, max_length=64)
    properties = models.JSONField(default=dict)
    created_at = models.DateTimeField(null=True, help_text="HubSpot's createdAt")
    updated_at = models.DateTimeField(null=True, db_index=True, help_text="HubSpot's updatedAt")
    archived = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True)
    # Why a row is archived here (NULL while live): `archived` in HubSpot (recycle bin),
    # `merged` into `merged_into`, `vanished` from every listing (hard or GDPR delete), or
    # `privacy_deleted` (a contact.privacyDeletion webhook). See DeletedKind.
    deleted_kind = models.CharField(max_length=16, null=True, choices=DeletedKind.choices)
    merged_into = models.CharField(max_length=64, null=True)
    # When the row's personal data was purged (privacy deletion, or HUBSPOT_PURGE_VANISHED):
    # only the id and these deletion facts are left.
    purged_at = models.DateTimeField(null=True)
    synced_at = models.DateTimeField(help_text="when a sync last wrote the row")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__}({self.id})"
