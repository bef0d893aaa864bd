"""Associations (v4) between HubSpot records, keyed by HubSpot ids.

No foreign keys and no cascades: deleting and recreating either side (force overwrite)
leaves these rows alone. The association set of a record towards one object type is
replaced whenever that record's type is synced, so links removed upstream disappear.
"""

from django.db import models


class HubSpotAssociation(models.Model):
    from_object_type = models.CharField(max_length=64)
    from_id = models.CharField(max_length=64)
    to_object_type = models.CharField(max_length=64)
    to_id = models.CharField(max_length=64)
    association_type_id = models.IntegerField()
    category = models.CharField(max_length=32, help_text="HUBSPOT_DEFINED, USER_DEFINED …")
    label = models.TextField(null=True)
    synced_at = models.DateTimeField()

    class Meta:
        db_table = "hubspot_association"
        constraints = [models.UniqueConstraint(
            fields=["from_object_type", "from_id", "to_object_type", "to_id",
                    "association_type_id", "category"],
            name="hubspot_association_unique")]
        indexes = [models.Index(fields=["to_object_type", "to_id"],
                                name="hubspot_assoc_to_idx")]

    def __str__(self) -> str:
        return (f"{self.from_object_type}:{self.from_id} -> {self.to_object_type}:{self.to_id} "
                f"({self.category} {self.association_type_id})")
