"""Lists (segments) with their memberships, and marketing forms with their submissions.

Definitions (`hubspot_list`, `hubspot_form`) are read in full every run, like owners; what
hangs off them (`hubspot_list_membership`, `hubspot_form_submission` and its per-field answers
`hubspot_form_submission_value`) is written by the writer after each batch, keyed by HubSpot
ids with no foreign key, so a force overwrite of a list or form never removes its memberships
or submissions.

Keys: lists by HubSpot's `listId` (the "ILS" id); forms by their GUID; a membership by
(list, record); a submission by `submission_key` (see HubSpotFormSubmission).
"""

from django.db import models

from .metadata import HubSpotDefinition


class HubSpotList(HubSpotDefinition):
    name = models.TextField(null=True)
    object_type_id = models.TextField(help_text="0-1 contacts, 0-2 companies …")
    processing_type = models.TextField(help_text="MANUAL, DYNAMIC or SNAPSHOT")
    processing_status = models.TextField(null=True)
    list_version = models.IntegerField(null=True)
    filters = models.JSONField(null=True, help_text="HubSpot's filterBranch (none for MANUAL)")
    size = models.BigIntegerField(null=True, help_text="members, as HubSpot counts them")
    deleted_at = models.DateTimeField(null=True, help_text="HubSpot's deletedAt")
    membership_version = models.TextField(
        null=True,
        help_text="the list state (updatedAt, size, last add/remove) its stored memberships "
                  "were read at; NULL: read them again on the next run")

    class Meta:
        db_table = "hubspot_list"


class HubSpotListMembership(models.Model):
    list_id = models.TextField()
    record_id = models.TextField()
    object_type_id = models.TextField(help_text="the list's object type")
    added_at = models.DateTimeField(null=True, help_text="HubSpot's membershipTimestamp")
    synced_at = models.DateTimeField()

    class Meta:
        db_table = "hubspot_list_membership"
        constraints = [models.UniqueConstraint(fields=["list_id", "record_id"],
                                               name="hubspot_list_membership_unique")]
        indexes = [models.Index(fields=["object_type_id", "record_id"],
                                name="hubspot_list_member_record_idx")]

    def __str__(self) -> str:
        return f"list {self.list_id} ∋ {self.record_id}"


class HubSpotForm(HubSpotDefinition):
    name = models.TextField(null=True)
    form_type = models.TextField(null=True, help_text="hubspot, captured …")
    fields = models.JSONField(default=list, help_text="HubSpot's fieldGroups")
    submissions_read_until = models.DateTimeField(
        null=True, help_text="the newest submission stored: the next run reads submissions "
                             "from here (minus the lookback); NULL reads them all")

    class Meta:
        db_table = "hubspot_form"


class HubSpotFormSubmission(models.Model):
    """One submission. HubSpot gives submissions no id, so the key is a digest of what makes
    one: sha1 of (form id, submittedAt in epoch ms, the values as sent, in order). Reading
    the same submission again gives the same key (nothing is duplicated); two identical
    submissions of one form in the same millisecond are one row."""

    submission_key = models.CharField(primary_key=True, max_length=40)
    form_id = models.TextField()
    submitted_at = models.DateTimeField()
    page_url = models.TextField(null=True)
    values = models.JSONField(default=list, help_text="[{name, value}] as HubSpot sent them")
    conversion_id = models.TextField(null=True)
    synced_at = models.DateTimeField()

    class Meta:
        db_table = "hubspot_form_submission"
        indexes = [models.Index(fields=["form_id", "submitted_at"],
                                name="hubspot_form_submission_idx")]

    def __str__(self) -> str:
        return f"form {self.form_id} submission {self.submission_key[:8]}"


class HubSpotFormSubmissionValue(models.Model):
    """One field answer of a submission, as a row: the submission's `values[position]`, so
    answers are queryable per field (`WHERE form_id = … AND name = …`) without reading JSON.
    Written with its submission, in the same transaction; a submission's answers never
    change (its key is a digest of them), so reading it again adds nothing."""

    submission_key = models.CharField(max_length=40)
    form_id = models.TextField()
    name = models.TextField(help_text="the field's name as sent")
    value = models.TextField(null=True, help_text="the answer as sent (a multiple-checkbox "
                                                  "answer is one value, `;` between options)")
    position = models.IntegerField(help_text="its place in the submission's values, from 0")
    submitted_at = models.DateTimeField()

    class Meta:
        db_table = "hubspot_form_submission_value"
        constraints = [models.UniqueConstraint(fields=["submission_key", "position"],
                                               name="hubspot_form_value_unique")]
        indexes = [models.Index(fields=["form_id", "name"], name="hubspot_form_value_field_idx")]

    def __str__(self) -> str:
        return f"submission {self.submission_key[:8]} {self.name}"
