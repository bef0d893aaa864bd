"""The marketing tables: contact lists and their members, forms and their submissions, email
campaigns, email events with their per-type tables, and email subscriptions with their changes
(docs/fivetran-layer.md).

Email events: the mirror keeps every event in one table (`hubspot_email_event`), the fields
analysts use as columns and the whole event in `raw`; Fivetran's per-type tables
(`email_event_open` …) are that table filtered by type, each with its type's fields. An
event's `id` is HubSpot's event id (the mirror's key adds its `created` time).

Form submissions: HubSpot's submissions API names no contact. A submission is tied to the
live contact whose email is the submission's `email` answer (contacts' emails are unique
among live contacts in HubSpot, and indexed here); `contact_id` is NULL when none has it.
"""

from __future__ import annotations

from ingestion.base.backends.base import Backend

from .layout import Column, Table, expression, from_json, json_path_text, literal, parsed, typed

SYNCED = typed("_fivetran_synced", "timestamp", "t.synced_at")
DELETED = typed("_fivetran_deleted", "boolean", "t.archived")

CONTACTS = "0-1"  # HubSpot's object type id of contacts


# -- lists --------------------------------------------------------------------------------------

def contact_list() -> Table:
    return Table("contact_list", "hubspot_list t", (
        parsed("id", "bigint", "t.id"),
        typed("name", "text", "t.name"),
        SYNCED, DELETED,
        typed("created_at", "timestamp", "t.created_at"),
        typed("updated_at", "timestamp", "t.updated_at"),
        from_json("created_by_id", "text", "t.raw", "createdById"),
        from_json("filters_updated_at", "timestamp", "t.raw", "filtersUpdatedAt"),
        typed("list_version", "bigint", "t.list_version"),
        typed("object_type_id", "text", "t.object_type_id"),
        typed("processing_status", "text", "t.processing_status"),
        typed("processing_type", "text", "t.processing_type"),
        typed("dynamic", "boolean", "(t.processing_type = 'DYNAMIC')"),
        typed("metadata_size", "bigint", "t.size"),
    ), where=f"t.object_type_id = '{CONTACTS}'")


def contact_list_member() -> Table:
    # Memberships gone upstream are deleted from the mirror, so none is ever "deleted" here.
    return Table("contact_list_member", "hubspot_list_membership t", (
        parsed("contact_list_id", "bigint", "t.list_id"),
        parsed("contact_id", "bigint", "t.record_id"),
        typed("added_at", "timestamp", "t.added_at"),
        SYNCED,
        literal("_fivetran_deleted", "boolean", False),
    ), where=f"t.object_type_id = '{CONTACTS}'")


# -- forms --------------------------------------------------------------------------------------

def _redirect(db: Backend) -> str:
    action = ("configuration", "postSubmitAction")
    return (f"CASE WHEN {json_path_text(db, 't.raw', *action, 'type')} = 'redirect_url' "
            f"THEN {json_path_text(db, 't.raw', *action, 'value')} END")


def _notifies(db: Backend) -> str:
    """Whether the form notifies anyone of a submission (its recipients list is not empty)."""
    if db.vendor == "postgresql":
        recipients = "(t.raw #> '{configuration,notifyRecipients}')"
        return (f"CASE WHEN jsonb_typeof({recipients}) = 'array' "
                f"THEN jsonb_array_length({recipients}) > 0 END")
    path = "'$.configuration.notifyRecipients'"
    return (f"CASE WHEN json_type(t.raw, {path}) = 'array' "
            f"THEN json_array_length(t.raw, {path}) > 0 END")


def form() -> Table:
    return Table("form", "hubspot_form t", (
        typed("guid", "text", "t.id"),
        typed("name", "text", "t.name"),
        typed("form_type", "text", "t.form_type"),
        typed("created_at", "timestamp", "t.created_at"),
        typed("updated_at", "timestamp", "t.updated_at"),
        SYNCED, DELETED,
        from_json("submit_text", "text", "t.raw", "displayOptions", "submitButtonText"),
        expression("redirect", "text", _redirect),
        expression("notify_recipients", "boolean", _notifies),
        # The forms API HubSpot serves now (v3) has none of these legacy (v2) fields.
        literal("action", "text"), literal("css_class", "text"), literal("method", "text"),
        literal("follow_up_id", "bigint"), literal("lead_nurturing_campaign_id", "bigint"),
        literal("portal_id", "bigint"),
    ))


def contact_form_submission() -> Table:
    source = ("hubspot_form_submission t "
              "LEFT JOIN hubspot_form f ON f.id = t.form_id "
              "LEFT JOIN hubspot_form_submission_value v "
              "ON v.submission_key = t.submission_key AND v.name = 'email' "
              "LEFT JOIN hubspot_contact c ON c.email = lower(trim(v.value)) "
              "AND NOT c.archived")
    return Table("contact_form_submission", source, (
        typed("form_id", "text", "t.form_id"),
        parsed("contact_id", "bigint", "c.id"),
        typed("timestamp", "timestamp", "t.submitted_at"),
        typed("conversion_id", "text", "t.conversion_id"),
        typed("page_url", "text", "t.page_url"),
        # HubSpot's submission title defaults to the form's name; the submissions API gives
        # no page title or page id.
        typed("title", "text", "f.name"),
        literal("page_id", "bigint"),
        literal("portal_id", "bigint"),
        SYNCED,
    ))


# -- email campaigns and events -------------------------------------------------------------------

def email_campaign() -> Table:
    return Table("email_campaign", "hubspot_email_campaign t", (
        parsed("id", "bigint", "t.id"),
        typed("app_id", "bigint", "t.app_id"),
        typed("app_name", "text", "t.app_name"),
        typed("content_id", "bigint", "t.content_id"),
        typed("name", "text", "t.name"),
        typed("subject", "text", "t.subject"),
        typed("type", "text", "t.type"),
        typed("sub_type", "text", "t.sub_type"),
        typed("num_included", "bigint", "t.num_included"),
        typed("num_queued", "bigint", "t.num_queued"),
        SYNCED, DELETED,
    ))


def email_event() -> Table:
    return Table("email_event", "hubspot_email_event t", (
        typed("id", "text", "t.event_id"),
        typed("type", "text", "t.event_type"),
        typed("created", "timestamp", "t.created_at"),
        typed("recipient", "text", "t.recipient"),
        typed("email_campaign_id", "bigint", "t.email_campaign_id"),
        typed("portal_id", "bigint", "t.portal_id"),
        typed("app_id", "bigint", "t.app_id"),
        typed("filtered_event", "boolean", "t.filtered_event"),
        typed("sent_by_id", "text", "t.sent_by_id"),
        typed("sent_by_created", "timestamp", "t.sent_by_created"),
        from_json("caused_by_id", "text", "t.raw", "causedBy", "id"),
        from_json("caused_by_created", "timestamp", "t.raw", "causedBy", "created"),
        from_json("obsoleted_by_id", "text", "t.raw", "obsoletedBy", "id"),
        from_json("obsoleted_by_created", "timestamp", "t.raw", "obsoletedBy", "created"),
        SYNCED,
    ))


def _raw(name: str, key: str, sql_type: str = "text") -> Column:
    """An event field kept only in `raw`."""
    return from_json(name, sql_type, "t.raw", key)


BROWSER = _raw("browser", "browser")
IP_ADDRESS = _raw("ip_address", "ipAddress")
LOCATION = _raw("location", "location")
USER_AGENT = _raw("user_agent", "userAgent")
RESPONSE = typed("response", "text", "t.response")
MESSAGE = (_raw("from", "from"), _raw("reply_to", "replyTo"), _raw("cc", "cc"),
           _raw("bcc", "bcc"), _raw("subject", "subject"))

# Fivetran's per-type table → (HubSpot's event type, the type's fields).
EVENT_TYPES = {
    "email_event_bounce": ("BOUNCE", (
        typed("category", "text", "t.bounce_category"), RESPONSE,
        typed("status", "text", "t.status"))),
    "email_event_click": ("CLICK", (
        BROWSER, IP_ADDRESS, LOCATION, USER_AGENT, typed("url", "text", "t.url"),
        _raw("referer", "referer"))),
    "email_event_deferred": ("DEFERRED", (RESPONSE, _raw("attempt", "attempt", "bigint"))),
    "email_event_delivered": ("DELIVERED", (RESPONSE, _raw("smtp_id", "smtpId"))),
    "email_event_dropped": ("DROPPED", (
        *MESSAGE, typed("drop_reason", "text", "t.drop_reason"),
        typed("drop_message", "text", "t.drop_message"))),
    "email_event_forward": ("FORWARD", (BROWSER, IP_ADDRESS, LOCATION, USER_AGENT)),
    "email_event_open": ("OPEN", (
        BROWSER, IP_ADDRESS, LOCATION, USER_AGENT, _raw("duration", "duration"))),
    "email_event_print": ("PRINT", (BROWSER, IP_ADDRESS, LOCATION, USER_AGENT)),
    "email_event_sent": ("SENT", MESSAGE),
    "email_event_spam_report": ("SPAMREPORT", (IP_ADDRESS, USER_AGENT)),
    "email_event_status_change": ("STATUSCHANGE", (
        typed("source", "text", "t.source"), _raw("requested_by", "requestedBy"),
        typed("portal_subscription_status", "text", "t.subscription_status"),
        _raw("subscriptions", "subscriptions"), _raw("bounced", "bounced", "boolean"))),
}


def email_event_of_type(name: str, event_type: str, fields: tuple) -> Table:
    return Table(name, "hubspot_email_event t",
                 (typed("id", "text", "t.event_id"), SYNCED, *fields),
                 where=f"t.event_type = '{event_type}'")


# -- subscriptions ------------------------------------------------------------------------------

def email_subscription() -> Table:
    return Table("email_subscription", "hubspot_subscription_type t", (
        parsed("id", "bigint", "t.id"),
        typed("name", "text", "t.name"),
        typed("description", "text", "t.description"),
        typed("active", "boolean", "t.is_active"),
        literal("portal_id", "bigint"),
        SYNCED, DELETED,
    ))


def email_subscription_change() -> Table:
    return Table("email_subscription_change", "hubspot_subscription_change t", (
        typed("recipient", "text", "t.recipient"),
        typed("timestamp", "timestamp", "t.occurred_at"),
        typed("email_subscription_id", "bigint", "t.subscription_id"),
        typed("change", "text", "t.change"),
        typed("change_type", "text", "t.change_type"),
        typed("source", "text", "t.source"),
        typed("caused_by_event_id", "text", "t.caused_by_event_id"),
        typed("portal_id", "bigint", "t.portal_id"),
        SYNCED,
    ))


TABLES: tuple[Table, ...] = (
    contact_list(), contact_list_member(), form(), contact_form_submission(),
    email_campaign(), email_event(),
    *(email_event_of_type(name, kind, fields) for name, (kind, fields) in EVENT_TYPES.items()),
    email_subscription(), email_subscription_change(),
)
