"""The standard HubSpot object types: one entry each, the one table every layer reads.

Each entry says everything the product knows about a type: its API name, HubSpot's type id,
its table and model class, its typed columns, the types its records are linked to, and its
quirks (which property holds the modified and creation times, whether records can merge,
how webhooks name it in the singular, whether it has pipelines or lifecycle stages). From it
are built the models (`models/objects.py`), the engines (`sync/hubspot/engines/standard.py`),
the type-id maps (`sync/hubspot/catalog.py`) and each `sync_hubspot_<name>` command
(`management/type_commands.py`). Adding a type: docs/ARCHITECTURE.md, "Adding an object type".

Pure data, no Django: every layer can import it (the models need it, so it sits below them).
Custom object types are not here: they are read from HubSpot's schemas API at run time.

Typed columns are named exactly as the HubSpot properties; every property (custom ones too)
stays raw in `properties`. Money and quantities are decimals: HubSpot sends numbers as
strings, and a float would round them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """A typed column: its kind of value (`models/objects.py` maps it to a field), whether it
    is indexed, and its help text."""

    kind: str  # "text", "datetime", "bigint", "decimal" or "boolean"
    indexed: bool = False
    help: str = ""


TEXT = Column("text")
TEXT_INDEXED = Column("text", indexed=True)
DATETIME = Column("datetime")
DATETIME_INDEXED = Column("datetime", indexed=True)
BIGINT = Column("bigint")
DECIMAL = Column("decimal")
BOOLEAN = Column("boolean")


@dataclass(frozen=True)
class Family:
    """What the types of one family share: their first typed columns, and the property that
    holds the creation time (the one search filters on, in verify)."""

    name: str
    columns: tuple[tuple[str, Column], ...]
    created_property: str


# Contacts, companies, deals, tickets, products, line items: each its own columns.
CRM = Family("crm", (), "createdate")
# Calls, emails, meetings, notes, tasks: HubSpot's engagements say `hs_createdate` (not
# `createdate`) and share `hs_timestamp` (the activity date) and `hubspot_owner_id`.
ENGAGEMENT = Family("engagement", (
    ("hs_timestamp", DATETIME_INDEXED), ("hubspot_owner_id", TEXT_INDEXED),
    ("hs_createdate", DATETIME), ("hs_lastmodifieddate", DATETIME)), "hs_createdate")
# The other standard objects (quotes, invoices, leads …): no core columns worth typing by
# hand; only their creation and last-modified times, as they name them. The typed views
# give analysts the rest.
OTHER = Family("other", (("hs_createdate", DATETIME), ("hs_lastmodifieddate", DATETIME)),
               "hs_createdate")

# An engagement's links to CRM records are read from the engagement's side only: each
# call/email/… sync replaces that engagement's associations with these types.
ENGAGEMENT_LINKS = ("contacts", "companies", "deals", "tickets")


@dataclass(frozen=True)
class ObjectType:
    name: str  # HubSpot's API name, e.g. "contacts" (command sync_hubspot_<name>)
    type_id: str  # HubSpot's objectTypeId, e.g. "0-1"
    model_name: str  # the model class, e.g. "HubSpotContact" (engine: <model_name>SyncEngine)
    table: str  # e.g. "hubspot_contact"
    family: Family
    columns: tuple[tuple[str, Column], ...] = ()  # typed columns after the family's
    # Types whose associations (v4) with each saved batch are read and replaced after the
    # batch is written; none: HubSpot gives the type no associations.
    associations: tuple[str, ...] = ()
    # Contacts say `lastmodifieddate`; the other standard objects `hs_lastmodifieddate`.
    modified_property: str = "hs_lastmodifieddate"
    mergeable: bool = False  # records can be merged (contacts, companies)
    # How webhook subscription types name it (`contact.creation`, `CONTACT_TO_COMPANY`);
    # None: `object.*` events name it by `objectTypeId` instead.
    webhook_prefix: str | None = None
    has_pipelines: bool = False  # pipelines and stages are read for it
    # Its `lifecyclestage` options are stages too: HubSpot computes stage calculated
    # properties for them (sync/hubspot/stage_properties.py).
    lifecycle_stages: bool = False

    @property
    def created_property(self) -> str:
        return self.family.created_property

    @property
    def all_columns(self) -> tuple[tuple[str, Column], ...]:
        """Every typed column, in table order: the family's, then its own."""
        return self.family.columns + self.columns

    @property
    def command(self) -> str:
        return f"sync_hubspot_{self.name}"


def _other(name: str, type_id: str, model_name: str, table: str,
           associations: tuple[str, ...] = ()) -> ObjectType:
    return ObjectType(name, type_id, model_name, table, OTHER, associations=associations)


# In dependency order (what records refer to comes first): the order every run syncs them.
OBJECT_TYPES: tuple[ObjectType, ...] = (
    ObjectType("companies", "0-2", "HubSpotCompany", "hubspot_company", CRM, (
        ("name", TEXT), ("domain", TEXT_INDEXED), ("website", TEXT), ("industry", TEXT),
        ("type", TEXT), ("city", TEXT), ("state", TEXT), ("country", TEXT), ("phone", TEXT),
        ("numberofemployees", BIGINT), ("annualrevenue", DECIMAL),
        ("hubspot_owner_id", TEXT_INDEXED), ("lifecyclestage", TEXT),
        ("createdate", DATETIME), ("hs_lastmodifieddate", DATETIME)),
        associations=("contacts", "deals", "tickets"), mergeable=True,
        webhook_prefix="company", lifecycle_stages=True),
    ObjectType("contacts", "0-1", "HubSpotContact", "hubspot_contact", CRM, (
        ("email", TEXT_INDEXED), ("firstname", TEXT), ("lastname", TEXT), ("phone", TEXT),
        ("mobilephone", TEXT), ("company", TEXT), ("jobtitle", TEXT), ("website", TEXT),
        ("city", TEXT), ("state", TEXT), ("country", TEXT), ("lifecyclestage", TEXT),
        ("hs_lead_status", TEXT), ("hubspot_owner_id", TEXT),
        ("lastmodifieddate", DATETIME), ("createdate", DATETIME)),
        associations=("companies", "deals", "tickets"), modified_property="lastmodifieddate",
        mergeable=True, webhook_prefix="contact", lifecycle_stages=True),
    ObjectType("deals", "0-3", "HubSpotDeal", "hubspot_deal", CRM, (
        ("dealname", TEXT), ("amount", DECIMAL), ("closedate", DATETIME), ("pipeline", TEXT),
        ("dealstage", TEXT), ("dealtype", TEXT), ("hubspot_owner_id", TEXT_INDEXED),
        ("deal_currency_code", TEXT), ("hs_is_closed_won", BOOLEAN),
        ("createdate", DATETIME), ("hs_lastmodifieddate", DATETIME)),
        associations=("contacts", "companies", "tickets", "line_items"),
        webhook_prefix="deal", has_pipelines=True),
    ObjectType("tickets", "0-5", "HubSpotTicket", "hubspot_ticket", CRM, (
        ("subject", TEXT), ("content", TEXT), ("hs_pipeline", TEXT),
        ("hs_pipeline_stage", TEXT), ("hs_ticket_priority", TEXT),
        ("hs_ticket_category", TEXT), ("hubspot_owner_id", TEXT_INDEXED),
        ("closed_date", DATETIME), ("createdate", DATETIME),
        ("hs_lastmodifieddate", DATETIME)),
        associations=("contacts", "companies", "deals"), webhook_prefix="ticket",
        has_pipelines=True),
    ObjectType("products", "0-7", "HubSpotProduct", "hubspot_product", CRM, (
        ("name", TEXT), ("description", TEXT), ("price", DECIMAL), ("hs_sku", TEXT),
        ("hs_cost_of_goods_sold", DECIMAL), ("hs_recurring_billing_period", TEXT),
        ("createdate", DATETIME), ("hs_lastmodifieddate", DATETIME)),
        webhook_prefix="product"),
    ObjectType("line_items", "0-8", "HubSpotLineItem", "hubspot_line_item", CRM, (
        ("name", TEXT), ("quantity", DECIMAL), ("price", DECIMAL), ("amount", DECIMAL),
        ("hs_product_id", TEXT_INDEXED), ("hs_sku", TEXT),
        ("hs_line_item_currency_code", TEXT), ("createdate", DATETIME),
        ("hs_lastmodifieddate", DATETIME)),
        associations=("deals",), webhook_prefix="line_item"),
    ObjectType("calls", "0-48", "HubSpotCall", "hubspot_call", ENGAGEMENT, (
        ("hs_call_title", TEXT), ("hs_call_body", TEXT),
        ("hs_call_duration", Column("bigint", help="milliseconds")),
        ("hs_call_direction", TEXT), ("hs_call_status", TEXT), ("hs_call_disposition", TEXT)),
        associations=ENGAGEMENT_LINKS),
    ObjectType("emails", "0-49", "HubSpotEmail", "hubspot_email", ENGAGEMENT, (
        ("hs_email_subject", TEXT), ("hs_email_text", TEXT), ("hs_email_direction", TEXT),
        ("hs_email_status", TEXT)),
        associations=ENGAGEMENT_LINKS),
    ObjectType("meetings", "0-47", "HubSpotMeeting", "hubspot_meeting", ENGAGEMENT, (
        ("hs_meeting_title", TEXT), ("hs_meeting_body", TEXT),
        ("hs_meeting_start_time", DATETIME), ("hs_meeting_end_time", DATETIME),
        ("hs_meeting_location", TEXT), ("hs_meeting_outcome", TEXT)),
        associations=ENGAGEMENT_LINKS),
    ObjectType("notes", "0-46", "HubSpotNote", "hubspot_note", ENGAGEMENT, (
        ("hs_note_body", TEXT),),
        associations=ENGAGEMENT_LINKS),
    ObjectType("tasks", "0-27", "HubSpotTask", "hubspot_task", ENGAGEMENT, (
        ("hs_task_subject", TEXT), ("hs_task_body", TEXT), ("hs_task_status", TEXT),
        ("hs_task_priority", TEXT), ("hs_task_type", TEXT),
        ("hs_task_completion_date", DATETIME)),
        associations=ENGAGEMENT_LINKS),
    # The other standard objects (the table in hubspot_emulator/BEHAVIOR.md, "Object types").
    _other("quotes", "0-14", "HubSpotQuote", "hubspot_quote",
           ("contacts", "companies", "deals")),
    _other("communications", "0-18", "HubSpotCommunication", "hubspot_communication",
           ENGAGEMENT_LINKS),
    _other("feedback_submissions", "0-19", "HubSpotFeedbackSubmission",
           "hubspot_feedback_submission", ("contacts", "tickets")),
    _other("invoices", "0-53", "HubSpotInvoice", "hubspot_invoice",
           ("contacts", "companies", "deals")),
    _other("subscriptions", "0-69", "HubSpotSubscription", "hubspot_subscription",
           ("contacts", "companies", "deals")),
    _other("goal_targets", "0-74", "HubSpotGoalTarget", "hubspot_goal_target"),
    _other("discounts", "0-84", "HubSpotDiscount", "hubspot_discount", ("quotes",)),
    _other("fees", "0-85", "HubSpotFee", "hubspot_fee", ("quotes",)),
    _other("taxes", "0-86", "HubSpotTax", "hubspot_tax", ("quotes",)),
    _other("commerce_payments", "0-101", "HubSpotCommercePayment", "hubspot_commerce_payment",
           ("contacts", "companies", "invoices")),
    _other("users", "0-115", "HubSpotUser", "hubspot_user"),
    _other("postal_mail", "0-116", "HubSpotPostalMail", "hubspot_postal_mail",
           ENGAGEMENT_LINKS),
    _other("orders", "0-123", "HubSpotOrder", "hubspot_order",
           ("contacts", "companies", "deals")),
    _other("leads", "0-136", "HubSpotLead", "hubspot_lead", ("contacts", "companies")),
    _other("carts", "0-142", "HubSpotCart", "hubspot_cart", ("contacts", "orders")),
    _other("services", "0-162", "HubSpotService", "hubspot_service",
           ("contacts", "companies", "deals")),
    _other("courses", "0-410", "HubSpotCourse", "hubspot_course", ("contacts", "companies")),
    _other("listings", "0-420", "HubSpotListing", "hubspot_listing",
           ("contacts", "companies", "deals")),
    _other("appointments", "0-421", "HubSpotAppointment", "hubspot_appointment",
           ("contacts", "companies", "deals")),
    _other("projects", "0-970", "HubSpotProject", "hubspot_project"),
)
BY_NAME: dict[str, ObjectType] = {entry.name: entry for entry in OBJECT_TYPES}
