"""Engagements: calls, emails, meetings, notes and tasks (docs/data-model.md).

HubSpot's engagement objects say `hs_createdate` (not `createdate`) and share
`hs_timestamp` (the activity date) and `hubspot_owner_id`.
"""

from django.db import models

from .base import HubSpotObject


class HubSpotEngagement(HubSpotObject):
    hs_timestamp = models.DateTimeField(null=True, db_index=True)
    hubspot_owner_id = models.TextField(null=True, db_index=True)
    hs_createdate = models.DateTimeField(null=True)
    hs_lastmodifieddate = models.DateTimeField(null=True)

    class Meta:
        abstract = True


class HubSpotCall(HubSpotEngagement):
    hs_call_title = models.TextField(null=True)
    hs_call_body = models.TextField(null=True)
    hs_call_duration = models.BigIntegerField(null=True, help_text="milliseconds")
    hs_call_direction = models.TextField(null=True)
    hs_call_status = models.TextField(null=True)
    hs_call_disposition = models.TextField(null=True)

    class Meta:
        db_table = "hubspot_call"


class HubSpotEmail(HubSpotEngagement):
    hs_email_subject = models.TextField(null=True)
    hs_email_text = models.TextField(null=True)
    hs_email_direction = models.TextField(null=True)
    hs_email_status = models.TextField(null=True)

    class Meta:
        db_table = "hubspot_email"


class HubSpotMeeting(HubSpotEngagement):
    hs_meeting_title = models.TextField(null=True)
    hs_meeting_body = models.TextField(null=True)
    hs_meeting_start_time = models.DateTimeField(null=True)
    hs_meeting_end_time = models.DateTimeField(null=True)
    hs_meeting_location = models.TextField(null=True)
    hs_meeting_outcome = models.TextField(null=True)

    class Meta:
        db_table = "hubspot_meeting"


class HubSpotNote(HubSpotEngagement):
    hs_note_body = models.TextField(null=True)

    class Meta:
        db_table = "hubspot_note"


class HubSpotTask(HubSpotEngagement):
    hs_task_subject = models.TextField(null=True)
    hs_task_body = models.TextField(null=True)
    hs_task_status = models.TextField(null=True)
    hs_task_priority = models.TextField(null=True)
    hs_task_type = models.TextField(null=True)
    hs_task_completion_date = models.DateTimeField(null=True)

    class Meta:
        db_table = "hubspot_task"
