"""Property definitions per object type: what `GET /crm/v3/properties/{type}` lists and
what the data generator fills (docs/hubspot-api.md#definitions for the property model, #records for
values).

Each `PropDef.gen` says how `datagen` fills the property for a generated record:
    ("opt",)              one of `options`          ("multi",)  1-3 options joined by ';'
    ("int", lo, hi)       integer                  ("num", lo, hi, decimals)
    ("bool", pct_true)    "true"/"false"           ("words", table, n)  n words from a table
    ("date", lo, hi)      date, days after creation (negative = before)
    ("datetime", lo, hi)  datetime, days after creation
    ("owner",)            an active owner id       ("fn", name)  a derived value (datagen.DERIVED)
    ("const", value)
An empty `gen` means the generator never sets it (it is null until written).
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class PropDef:
    name: str
    type: str  # bool, enumeration, date, datetime, string, number
    field_type: str  # booleancheckbox, checkbox, date, number, phonenumber, select, text, ...
    gen: tuple = ()
    options: tuple[str, ...] = ()
    label: str = ""
    group: str = ""
    custom: bool = False
    null_pct: int = 0
    read_only: bool = False
    calculated: bool = False
    unique: bool = False
    sensitivity: str = "non_sensitive"
    archived: bool = False
    description: str = ""

    @property
    def display_label(self) -> str:
        if self.label:
            return self.label
        base = self.name[3:] if self.name.startswith("hs_") else self.name
        return base.replace("_", " ").capitalize()


def prop_from_json(p: dict) -> PropDef:
    """A custom property from its JSON definition (a schema's `properties`, or the control
    surface's new property)."""
    options = tuple(str(o.get("value")) for o in p.get("options") or [])
    return PropDef(str(p["name"]), str(p.get("type", "string")),
                   str(p.get("fieldType", "text")), (), options, label=str(p.get("label", "")),
                   group=str(p.get("groupName", "")), custom=True,
                   unique=bool(p.get("hasUniqueValue")))


def S(name, gen=(), ft="text", **kw) -> PropDef:
    return PropDef(name, "string", ft, gen, **kw)


def N(name, gen=(), **kw) -> PropDef:
    return PropDef(name, "number", "number", gen, **kw)


def E(name, options, gen=("opt",), ft="select", **kw) -> PropDef:
    return PropDef(name, "enumeration", ft, gen, tuple(options), **kw)


def M(name, options, **kw) -> PropDef:
    """Multi-select: values are joined with ';' (docs/hubspot-api.md#records)."""
    return PropDef(name, "enumeration", "checkbox", ("multi",), tuple(options), **kw)


def B(name, pct_true=50, **kw) -> PropDef:
    return PropDef(name, "bool", "booleancheckbox", ("bool", pct_true), ("true", "false"), **kw)


def D(name, lo=-30, hi=30, **kw) -> PropDef:
    return PropDef(name, "date", "date", ("date", lo, hi), **kw)


def T(name, lo=0, hi=30, gen=None, **kw) -> PropDef:
    # HubSpot's fieldType for datetime properties is "date" as well.
    return PropDef(name, "datetime", "date", gen or ("datetime", lo, hi), **kw)


def RO(name, type_, ft="text", gen=(), **kw) -> PropDef:
    """A HubSpot-maintained, read-only property (system timestamps, ids, rollups)."""
    return PropDef(name, type_, ft, gen, read_only=True, calculated=True, **kw)


LIFECYCLE = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
             "opportunity", "customer", "evangelist", "other")
LEAD_STATUS = ("NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED",
               "ATTEMPTED_TO_CONTACT", "CONNECTED", "BAD_TIMING")
ANALYTICS_SOURCE = ("ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING", "SOCIAL_MEDIA",
                    "REFERRALS", "OTHER_CAMPAIGNS", "DIRECT_TRAFFIC", "OFFLINE", "PAID_SOCIAL")
INDUSTRIES = ("ACCOUNTING", "COMPUTER_SOFTWARE", "FINANCIAL_SERVICES", "HOSPITAL_HEALTH_CARE",
              "MARKETING_AND_ADVERTISING", "RETAIL", "CONSTRUCTION", "EDUCATION_MANAGEMENT",
              "INFORMATION_TECHNOLOGY_AND_SERVICES", "LOGISTICS_AND_SUPPLY_CHAIN")
CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CAD")
BILLING_PERIODS = ("P1M", "P3M", "P12M", "P24M")
BILLING_FREQ = ("monthly", "quarterly", "annually")


def _system(created: str, modified: str) -> list[PropDef]:
    """The properties HubSpot maintains itself on every object (docs/hubspot-api.md#records)."""
    return [
        RO("hs_object_id", "number", "number", label="Record ID", unique=True),
        RO(created, "datetime", "date", label="Create Date"),
        RO(modified, "datetime", "date", label="Last Modified Date"),
    ]


# A pool of custom properties a portal admin typically adds to every object.
COMMON_CUSTOM = [
    E("region", ("EMEA", "APAC", "AMER", "LATAM"), null_pct=10),
    E("segment", ("SMB", "MID_MARKET", "ENTERPRISE", "STRATEGIC"), null_pct=15),
    E("source_system", ("salesforce", "zendesk", "netsuite", "manual", "import"), null_pct=5),
    S("external_ref", ("fn", "external_ref"), null_pct=20),
    N("legacy_id", ("int", 10_000, 9_999_999), null_pct=40),
    N("priority_score", ("num", 0, 100, 1), null_pct=25),
    D("review_date", -200, 200, null_pct=50),
    T("last_synced_at", 0, 400, null_pct=30),
    B("is_flagged", 10, null_pct=10),
    M("tags", ("hot", "cold", "partner", "renewal", "upsell", "at_risk", "vip"), null_pct=35),
    S("internal_comment", ("fn", "comment"), ft="textarea", null_pct=60),
    E("owner_team", ("north", "south", "east", "west", "central"), null_pct=20),
    N("quality_rating", ("int", 1, 5), null_pct=30),
    E("approval_status", ("pending", "approved", "rejected"), null_pct=15),
    S("budget_code", ("fn", "budget_code"), null_pct=45),
    E("cost_center", ("CC-100", "CC-200", "CC-300", "CC-400"), null_pct=25),
    N("sla_hours", ("int", 4, 72), null_pct=30),
    S("data_source_url", ("fn", "source_url"), null_pct=50),
    N("confidence", ("num", 0, 1, 3), null_pct=20),
    E("renewal_quarter", ("Q1", "Q2", "Q3", "Q4"), null_pct=40),
    B("compliance_checked", 70, null_pct=5),
    N("escalation_level", ("int", 0, 3), null_pct=10),
]

CONTACT_PROPS = [
    S("firstname", ("fn", "firstname"), label="First Name"),
    S("lastname", ("fn", "lastname"), label="Last Name"),
    S("email", ("fn", "email"), label="Email", unique=True, null_pct=2),
    S("phone", ("fn", "phone"), ft="phonenumber", label="Phone Number", null_pct=15),
    S("mobilephone", ("fn", "phone"), ft="phonenumber", label="Mobile Phone Number", null_pct=50),
    S("company", ("fn", "company_name"), label="Company Name", null_pct=10),
    S("jobtitle", ("words", "jobtitles", 1), label="Job Title", null_pct=20),
    S("website", ("fn", "website"), label="Website URL", null_pct=30),
    S("address", ("fn", "street"), label="Street Address", null_pct=25),
    S("city", ("words", "cities", 1), label="City", null_pct=15),
    S("state", ("words", "states", 1), label="State/Region", null_pct=25),
    S("zip", ("fn", "zip"), label="Postal Code", null_pct=25),
    S("country", ("words", "countries", 1), label="Country/Region", null_pct=15),
    E("lifecyclestage", LIFECYCLE, ft="radio", label="Lifecycle Stage", null_pct=5),
    E("hs_lead_status", LEAD_STATUS, ft="radio", label="Lead Status", null_pct=30),
    E("hubspot_owner_id", (), gen=("owner",), label="Contact owner", null_pct=15),
    N("associatedcompanyid", ("fn", "primary_company"), label="Primary Associated Company ID"),
    E("industry", INDUSTRIES, null_pct=40),
    N("annualrevenue", ("int", 10_000, 50_000_000), label="Annual Revenue", null_pct=60),
    S("salutation", ("words", "salutations", 1), null_pct=60),
    D("date_of_birth", -25_000, -6_500, label="Date of birth", null_pct=80),
    E("hs_language", ("en", "de", "fr", "es", "ja", "pt-br"), label="Preferred language",
      null_pct=40),
    RO("hs_email_domain", "string", gen=("fn", "email_domain"), label="Email Domain"),
    E("hs_analytics_source", ANALYTICS_SOURCE, label="Original Source", null_pct=5),
    RO("hs_analytics_num_visits", "number", "number", ("int", 0, 300), label="Number of Visits"),
    RO("hs_analytics_num_page_views", "number", "number", ("int", 0, 2000),
       label="Number of Pageviews"),
    B("hs_email_optout", 8, label="Unsubscribed from all email", null_pct=20),
    RO("notes_last_updated", "datetime", "date", ("datetime", 0, 300), label="Last Activity Date",
       null_pct=35),
    RO("num_notes", "number", "number", ("int", 0, 12), label="Number of Sales Activities"),
    RO("num_associated_deals", "number", "number", ("int", 0, 3),
       label="Number of Associated Deals", null_pct=50),
    E("hs_persona", ("persona_1", "persona_2", "persona_3"), null_pct=70),
    S("message", ("fn", "comment"), ft="textarea", null_pct=75),
    S("fax", ("fn", "phone"), ft="phonenumber", label="Fax Number", null_pct=95),
    S("twitterhandle", ("fn", "handle"), label="Twitter Username", null_pct=70),
    E("hs_timezone", ("europe_slash_berlin", "america_slash_new_york", "asia_slash_tokyo",
                      "america_slash_los_angeles", "europe_slash_london"), null_pct=30),
    RO("hs_lifecyclestage_customer_date", "datetime", "date", ("datetime", 10, 300),
       null_pct=70),
    N("recent_deal_amount", ("int", 500, 250_000), null_pct=70, read_only=True),
    N("total_revenue", ("int", 0, 900_000), null_pct=60, read_only=True),
    RO("hs_merged_object_ids", "enumeration", "checkbox", label="Merged record IDs"),
    RO("hs_calculated_merged_vids", "enumeration", "checkbox", label="Merged Contact IDs"),
]

CONTACT_CUSTOM = [
    E("favorite_color", ("red", "orange", "yellow", "green", "blue", "indigo", "violet"),
      null_pct=25),
    E("loyalty_tier", ("bronze", "silver", "gold", "platinum"), null_pct=10),
    N("nps_score", ("int", 0, 10), label="NPS score", null_pct=30),
    D("signup_date", 0, 90, null_pct=5),
    B("is_vip", 8, label="Is VIP", null_pct=10),
    E("preferred_channel", ("email", "phone", "sms", "chat"), ft="radio", null_pct=20),
    M("interests", ("sports", "music", "travel", "cooking", "gaming", "reading", "fitness"),
      null_pct=30),
    E("customer_segment", ("SMB", "MID_MARKET", "ENTERPRISE"), null_pct=15),
    N("account_score", ("num", 0, 100, 2), null_pct=20),
    D("last_purchase_date", 5, 600, null_pct=40),
    T("last_login_at", 0, 700, null_pct=25),
    S("referral_code", ("fn", "referral_code"), unique=True, null_pct=50),
    S("external_crm_id", ("fn", "external_ref"), null_pct=20),
    B("marketing_consent", 60, null_pct=15),
    E("newsletter_frequency", ("weekly", "monthly", "never"), null_pct=20),
    N("shoe_size", ("num", 5, 13, 1), null_pct=70),
    E("home_region", ("EMEA", "APAC", "AMER", "LATAM"), null_pct=10),
    N("twitter_followers", ("int", 0, 1_500_000), null_pct=60),
    E("support_plan", ("basic", "standard", "premium"), null_pct=25),
    E("churn_risk", ("low", "medium", "high"), null_pct=20),
    S("internal_notes", ("fn", "comment"), ft="textarea", null_pct=55),
    E("preferred_language", ("en", "de", "fr", "es", "ja", "pt-br"), null_pct=30),
    N("birthday_month", ("int", 1, 12), null_pct=45),
    N("lifetime_value", ("num", 0, 50_000, 2), label="Lifetime value", null_pct=35),
    N("legacy_contact_id", ("int", 1, 2_000_000), null_pct=50),
    S("ssn_last4", ("fn", "digits4"), label="SSN (last 4)", sensitivity="sensitive", null_pct=70),
]

COMPANY_PROPS = [
    S("name", ("fn", "company_name"), label="Company name"),
    S("domain", ("fn", "company_domain"), label="Company Domain Name", null_pct=3),
    S("website", ("fn", "company_website"), label="Website URL", null_pct=10),
    S("phone", ("fn", "phone"), ft="phonenumber", label="Phone Number", null_pct=20),
    S("address", ("fn", "street"), label="Street Address", null_pct=25),
    S("city", ("words", "cities", 1), label="City", null_pct=10),
    S("state", ("words", "states", 1), label="State/Region", null_pct=25),
    S("zip", ("fn", "zip"), label="Postal Code", null_pct=25),
    S("country", ("words", "countries", 1), label="Country/Region", null_pct=10),
    E("industry", INDUSTRIES, label="Industry", null_pct=15),
    N("numberofemployees", ("int", 1, 50_000), label="Number of Employees", null_pct=20),
    N("annualrevenue", ("int", 50_000, 900_000_000), label="Annual Revenue", null_pct=30),
    S("description", ("fn", "comment"), ft="textarea", label="Description", null_pct=40),
    E("type", ("PROSPECT", "PARTNER", "RESELLER", "VENDOR", "OTHER"), label="Type", null_pct=20),
    E("lifecyclestage", LIFECYCLE, ft="radio", label="Lifecycle Stage", null_pct=10),
    E("hubspot_owner_id", (), gen=("owner",), label="Company owner", null_pct=10),
    S("founded_year", ("int", 1890, 2024), label="Year Founded", null_pct=40),
    E("timezone", ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/London"),
      null_pct=40),
    S("linkedin_company_page", ("fn", "linkedin"), label="LinkedIn Company Page", null_pct=35),
    S("twitterhandle", ("fn", "handle"), label="Twitter Handle", null_pct=60),
    B("is_public", 15, label="Is Public", null_pct=30),
    N("total_money_raised", ("int", 0, 500_000_000), null_pct=70),
    E("hs_lead_status", LEAD_STATUS, ft="radio", label="Lead Status", null_pct=40),
    RO("num_associated_contacts", "number", "number", ("int", 0, 9),
       label="Number of Associated Contacts"),
    RO("num_associated_deals", "number", "number", ("int", 0, 4),
       label="Number of Associated Deals"),
    N("total_revenue", ("int", 0, 2_000_000), null_pct=50, read_only=True),
    RO("notes_last_updated", "datetime", "date", ("datetime", 0, 300), null_pct=30),
    D("recent_deal_close_date", 0, 400, null_pct=60),
    RO("hs_merged_object_ids", "enumeration", "checkbox", label="Merged record IDs"),
]

COMPANY_CUSTOM = [
    E("account_tier", ("tier_1", "tier_2", "tier_3"), null_pct=15),
    N("arr", ("num", 0, 2_000_000, 2), label="ARR", null_pct=30),
    D("renewal_date", 30, 700, null_pct=35),
    N("health_score", ("int", 0, 100), null_pct=20),
    B("is_strategic", 12, null_pct=5),
    E("contract_type", ("annual", "multi_year", "monthly", "trial"), null_pct=25),
    M("products_used", ("crm", "marketing", "sales", "service", "cms", "ops"), null_pct=30),
    E("payment_terms", ("NET15", "NET30", "NET60"), null_pct=25),
    N("credit_limit", ("int", 1_000, 1_000_000), null_pct=45),
    T("churned_at", 100, 700, null_pct=90),
]

DEAL_PROPS = [
    S("dealname", ("fn", "dealname"), label="Deal Name"),
    N("amount", ("fn", "amount"), label="Amount", null_pct=5),
    T("closedate", gen=("fn", "closedate"), label="Close Date"),
    E("pipeline", (), gen=("fn", "deal_pipeline"), label="Pipeline"),
    E("dealstage", (), gen=("fn", "deal_stage"), ft="radio", label="Deal Stage"),
    E("dealtype", ("newbusiness", "existingbusiness"), ft="radio", label="Deal Type",
      null_pct=20),
    E("hubspot_owner_id", (), gen=("owner",), label="Deal owner", null_pct=5),
    S("description", ("fn", "comment"), ft="textarea", label="Deal Description", null_pct=50),
    E("hs_priority", ("low", "medium", "high"), label="Priority", null_pct=40),
    N("hs_forecast_probability", ("num", 0, 1, 2), null_pct=50),
    RO("hs_forecast_amount", "number", "number", ("int", 0, 200_000), null_pct=20),
    RO("hs_deal_stage_probability", "number", "number", ("fn", "stage_probability")),
    RO("hs_is_closed", "bool", "booleancheckbox", ("fn", "is_closed")),
    RO("hs_is_closed_won", "bool", "booleancheckbox", ("fn", "is_closed_won")),
    S("closed_lost_reason", ("words", "reasons", 3), ft="textarea", null_pct=80),
    S("closed_won_reason", ("words", "reasons", 3), ft="textarea", null_pct=80),
    S("hs_next_step", ("words", "words", 4), ft="textarea", null_pct=50),
    RO("num_associated_contacts", "number", "number", ("int", 0, 4)),
    N("hs_acv", ("int", 0, 120_000), label="Annual contract value", null_pct=40,
      read_only=True),
    N("hs_arr", ("int", 0, 120_000), label="Annual recurring revenue", null_pct=40,
      read_only=True),
    N("hs_mrr", ("int", 0, 10_000), label="Monthly recurring revenue", null_pct=40,
      read_only=True),
    N("hs_tcv", ("int", 0, 360_000), label="Total contract value", null_pct=40, read_only=True),
    RO("amount_in_home_currency", "number", "number", ("fn", "home_amount")),
    E("deal_currency_code", CURRENCIES, label="Currency", null_pct=10),
    E("hs_analytics_source", ANALYTICS_SOURCE, label="Original Source Type", null_pct=30),
    RO("notes_last_updated", "datetime", "date", ("datetime", 0, 200), null_pct=30),
    RO("num_notes", "number", "number", ("int", 0, 9)),
    RO("days_to_close", "number", "number", ("int", 0, 365)),
]

DEAL_CUSTOM = [
    E("deal_source", ("inbound", "outbound", "partner", "event"), null_pct=15),
    E("competitor", ("acme", "globex", "initech", "umbrella", "none"), null_pct=40),
    N("discount_pct", ("num", 0, 40, 1), label="Discount %", null_pct=50),
    B("requires_legal_review", 25, null_pct=10),
    D("contract_start_date", 0, 400, null_pct=35),
    N("contract_length_months", ("int", 1, 48), null_pct=30),
    M("decision_criteria", ("price", "features", "support", "security", "integrations"),
      null_pct=40),
]

TICKET_PROPS = [
    S("subject", ("fn", "ticket_subject"), label="Ticket name"),
    S("content", ("fn", "comment"), ft="textarea", label="Ticket description", null_pct=15),
    E("hs_pipeline", (), gen=("fn", "ticket_pipeline"), label="Pipeline"),
    E("hs_pipeline_stage", (), gen=("fn", "ticket_stage"), label="Ticket status"),
    E("hs_ticket_category", ("PRODUCT_ISSUE", "BILLING_ISSUE", "FEATURE_REQUEST",
                             "GENERAL_INQUIRY"), ft="checkbox", label="Category", null_pct=20),
    E("hs_ticket_priority", ("LOW", "MEDIUM", "HIGH", "URGENT"), label="Priority", null_pct=10),
    E("hubspot_owner_id", (), gen=("owner",), label="Ticket owner", null_pct=20),
    E("source_type", ("EMAIL", "CHAT", "PHONE", "FORM"), label="Source", null_pct=5),
    T("closed_date", 1, 60, null_pct=50),
    E("hs_resolution", ("ISSUE_FIXED", "WORKAROUND", "DUPLICATE", "WONT_FIX"), null_pct=50),
    RO("time_to_close", "number", "number", ("int", 60_000, 900_000_000), null_pct=50),
    RO("time_to_first_agent_reply", "number", "number", ("int", 60_000, 90_000_000),
       null_pct=30),
    RO("first_agent_reply_date", "datetime", "date", ("datetime", 0, 3), null_pct=30),
    RO("hs_num_times_contacted", "number", "number", ("int", 0, 8)),
    RO("hs_lastcontacted", "datetime", "date", ("datetime", 0, 30), null_pct=30),
    RO("num_notes", "number", "number", ("int", 0, 6)),
    S("hs_tag_ids", ("words", "words", 1), null_pct=80),
]

TICKET_CUSTOM = [
    E("affected_product", ("web_app", "mobile_app", "api", "billing_portal"), null_pct=15),
    N("customer_impact", ("int", 1, 5), null_pct=20),
    B("is_bug", 30, null_pct=10),
    S("jira_key", ("fn", "jira_key"), null_pct=60),
]

PRODUCT_PROPS = [
    S("name", ("fn", "product_name"), label="Name"),
    S("description", ("fn", "comment"), ft="textarea", label="Description", null_pct=20),
    N("price", ("num", 5, 5000, 2), label="Unit price"),
    S("hs_sku", ("fn", "sku"), label="SKU", unique=True),
    N("hs_cost_of_goods_sold", ("num", 1, 2500, 2), label="Unit cost", null_pct=30),
    E("hs_recurring_billing_period", BILLING_PERIODS, label="Term", null_pct=40),
    E("recurringbillingfrequency", BILLING_FREQ, label="Billing frequency", null_pct=40),
    E("hs_product_type", ("inventory", "non_inventory", "service"), label="Product type"),
    S("hs_url", ("fn", "source_url"), label="URL", null_pct=50),
    N("tax", ("num", 0, 25, 1), null_pct=60),
    S("hs_images", ("fn", "source_url"), null_pct=70),
    N("hs_folder_id", ("int", 1, 9), null_pct=80),
]

PRODUCT_CUSTOM = [
    E("product_family", ("core", "addon", "services", "hardware"), null_pct=5),
    B("is_discontinued", 10),
    N("stock_level", ("int", 0, 10_000), null_pct=30),
]

LINE_ITEM_PROPS = [
    S("name", ("fn", "product_name"), label="Name"),
    N("quantity", ("int", 1, 50), label="Quantity"),
    N("price", ("num", 5, 5000, 2), label="Unit price"),
    RO("amount", "number", "number", ("fn", "line_amount"), label="Net price"),
    N("hs_product_id", ("fn", "product_ref"), label="Product ID"),
    S("hs_sku", ("fn", "sku"), label="SKU", null_pct=10),
    N("discount", ("int", 0, 500), label="Unit discount", null_pct=70),
    N("hs_discount_percentage", ("num", 0, 30, 1), null_pct=70),
    RO("hs_total_discount", "number", "number", ("int", 0, 2000), null_pct=60),
    N("tax", ("num", 0, 25, 1), null_pct=60),
    E("hs_recurring_billing_period", BILLING_PERIODS, null_pct=40),
    E("recurringbillingfrequency", BILLING_FREQ, null_pct=40),
    E("hs_line_item_currency_code", CURRENCIES, null_pct=5),
    N("hs_position_on_quote", ("int", 0, 9), null_pct=30),
    S("description", ("fn", "comment"), ft="textarea", null_pct=50),
    N("hs_term_in_months", ("int", 1, 36), null_pct=50),
    RO("hs_acv", "number", "number", ("int", 0, 60_000), null_pct=40),
    RO("hs_arr", "number", "number", ("int", 0, 60_000), null_pct=40),
    RO("hs_mrr", "number", "number", ("int", 0, 5_000), null_pct=40),
    RO("hs_tcv", "number", "number", ("int", 0, 180_000), null_pct=40),
]

LINE_ITEM_CUSTOM = [
    E("fulfillment_status", ("pending", "shipped", "delivered", "returned"), null_pct=20),
    B("is_upsell", 20),
]

ENGAGEMENT_COMMON = [
    T("hs_timestamp", -1, 1, label="Activity date"),
    E("hubspot_owner_id", (), gen=("owner",), label="Activity assigned to", null_pct=10),
    S("hs_activity_type", ("words", "activity_types", 1), null_pct=50),
    RO("hs_body_preview", "string", gen=("fn", "comment"), null_pct=20),
    RO("hs_engagement_source", "enumeration", "select", ("opt",),
       options=("CRM_UI", "API", "INTEGRATION", "EMAIL_INTEGRATION")),
    RO("hs_created_by_user_id", "number", "number", ("fn", "user_id")),
    S("hs_attachment_ids", (), null_pct=100),
    S("hs_at_mentioned_owner_ids", ("owner",), null_pct=85),
]

CALL_PROPS = [
    S("hs_call_title", ("words", "call_titles", 1), label="Call Title"),
    S("hs_call_body", ("fn", "comment"), ft="html", label="Call notes", null_pct=20),
    N("hs_call_duration", ("int", 5_000, 3_600_000), label="Call duration", null_pct=10),
    E("hs_call_direction", ("INBOUND", "OUTBOUND"), label="Call direction"),
    E("hs_call_disposition", ("f240bbac-87c9-4f6e-bf70-924b57d47db7",
                              "a4c4c377-d246-4b32-a13b-75a56a4cd0ff",
                              "73a0d17f-1163-4015-bdd5-ec830791da20"), null_pct=30),
    E("hs_call_status", ("COMPLETED", "BUSY", "NO_ANSWER", "FAILED", "CANCELED"),
      label="Call status"),
    S("hs_call_from_number", ("fn", "phone"), ft="phonenumber", null_pct=10),
    S("hs_call_to_number", ("fn", "phone"), ft="phonenumber", null_pct=10),
    S("hs_call_recording_url", ("fn", "source_url"), null_pct=70),
]

EMAIL_PROPS = [
    S("hs_email_subject", ("fn", "email_subject"), label="Email subject"),
    S("hs_email_text", ("fn", "comment"), ft="textarea", label="Email body", null_pct=5),
    S("hs_email_html", ("fn", "email_html"), ft="html", null_pct=30),
    E("hs_email_direction", ("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL")),
    E("hs_email_status", ("SENT", "BOUNCED", "FAILED", "SCHEDULED"), null_pct=5),
    S("hs_email_sender_email", ("fn", "email"), null_pct=5),
    S("hs_email_to_email", ("fn", "email"), null_pct=5),
    S("hs_email_headers", ("fn", "email_headers"), ft="textarea", null_pct=40),
]

MEETING_PROPS = [
    S("hs_meeting_title", ("words", "meeting_titles", 1), label="Meeting name"),
    S("hs_meeting_body", ("fn", "comment"), ft="html", null_pct=30),
    T("hs_meeting_start_time", 0, 1),
    T("hs_meeting_end_time", 1, 2),
    S("hs_meeting_location", ("words", "cities", 1), null_pct=50),
    E("hs_meeting_outcome", ("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED")),
    S("hs_internal_meeting_notes", ("fn", "comment"), ft="html", null_pct=60),
    S("hs_meeting_external_url", ("fn", "source_url"), null_pct=40),
]

NOTE_PROPS = [
    S("hs_note_body", ("fn", "note_body"), ft="html", label="Note body"),
]

TASK_PROPS = [
    S("hs_task_subject", ("words", "task_subjects", 1), label="Task Title"),
    S("hs_task_body", ("fn", "comment"), ft="html", label="Notes", null_pct=30),
    E("hs_task_status", ("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"),
      label="Task Status"),
    E("hs_task_priority", ("NONE", "LOW", "MEDIUM", "HIGH"), label="Priority"),
    E("hs_task_type", ("TODO", "CALL", "EMAIL"), label="Task Type"),
    T("hs_task_completion_date", 0, 20, null_pct=45),
    S("hs_queue_membership_ids", ("int", 1, 5), null_pct=80),
]

PET_PROPS = [
    S("pet_name", ("words", "pet_names", 1), label="Pet name"),
    E("species", ("dog", "cat", "rabbit", "parrot", "hamster", "turtle")),
    S("breed", ("words", "breeds", 1), null_pct=25),
    N("age_years", ("int", 0, 18), null_pct=10),
    N("weight_kg", ("num", 0, 60, 1), null_pct=20),
    D("adoption_date", -900, 0, null_pct=30),
    B("is_vaccinated", 85),
    M("allergies", ("pollen", "chicken", "beef", "dust", "grain"), null_pct=60),
    E("hubspot_owner_id", (), gen=("owner",), null_pct=30),
]

# -- the other standard objects (schemas.STANDARD_OBJECTS): a few of HubSpot's own properties
# each, named as HubSpot's object-definition pages name them where they do (*choice*
# otherwise); every one also gets COMMON_CUSTOM, the admin-made properties.

STATUS_OWNER = E("hubspot_owner_id", (), gen=("owner",), label="Owner", null_pct=20)

QUOTE_PROPS = [
    S("hs_title", ("fn", "title"), label="Quote name"),
    T("hs_expiration_date", 14, 90, label="Expiration date"),
    E("hs_status", ("DRAFT", "PENDING_APPROVAL", "APPROVAL_NOT_NEEDED", "APPROVED", "REJECTED"),
      label="Quote approval status"),
    # Set by HubSpot when a quote is published (null here); dlt's default quote properties
    # include it and dlt stops if a default is not defined.
    RO("hs_public_url_key", "string", label="Public URL key"),
    N("hs_quote_amount", ("fn", "amount"), label="Quote amount", null_pct=5),
    E("hs_currency", CURRENCIES, label="Currency", null_pct=5),
    S("hs_quote_number", ("fn", "doc_number"), label="Quote number"),
    E("hs_language", ("en", "de", "fr", "es"), label="Language", null_pct=20),
    S("hs_comments", ("fn", "comment"), ft="textarea", label="Comments", null_pct=50),
    STATUS_OWNER,
]

COMMUNICATION_PROPS = [
    S("hs_communication_body", ("fn", "comment"), ft="html", label="Communication body"),
    E("hs_communication_channel_type", ("WHATS_APP", "LINKEDIN_MESSAGE", "SMS"),
      label="Channel type"),
    E("hs_communication_logged_from", ("CRM",), label="Logged from"),
]

POSTAL_MAIL_PROPS = [
    S("hs_postal_mail_body", ("fn", "comment"), ft="html", label="Postal mail body"),
]

FEEDBACK_SUBMISSION_PROPS = [
    E("hs_survey_name", ("NPS survey", "CSAT survey", "CES survey", "Onboarding feedback"),
      label="Survey name"),
    E("hs_survey_type", ("NPS", "CSAT", "CES", "CUSTOM"), label="Survey type"),
    E("hs_survey_channel", ("EMAIL", "WEB", "CHAT"), label="Survey channel"),
    N("hs_response_value", ("int", 0, 10), label="Response value"),
    E("hs_sentiment", ("POSITIVE", "NEUTRAL", "NEGATIVE"), label="Sentiment"),
    S("hs_content", ("fn", "comment"), ft="textarea", label="Response", null_pct=40),
    T("hs_submission_timestamp", 0, 1, label="Submitted at"),
]

INVOICE_PROPS = [
    S("hs_number", ("fn", "doc_number"), label="Invoice number"),
    E("hs_invoice_status", ("draft", "open", "paid", "voided"), label="Invoice status"),
    N("hs_amount_billed", ("fn", "amount"), label="Amount billed"),
    N("hs_balance_due", ("num", 0, 5000, 2), label="Balance due", null_pct=40),
    E("hs_currency", CURRENCIES, label="Currency"),
    D("hs_invoice_date", 0, 2, label="Invoice date"),
    D("hs_due_date", 14, 60, label="Due date"),
    STATUS_OWNER,
]

SUBSCRIPTION_PROPS = [
    S("hs_name", ("fn", "title"), label="Name"),
    E("hs_status", ("active", "past_due", "canceled", "expired", "scheduled"), label="Status"),
    E("hs_recurring_billing_period", BILLING_PERIODS, label="Billing frequency"),
    N("hs_last_payment_amount", ("fn", "amount"), label="Last payment amount", null_pct=10),
    D("hs_recurring_billing_start_date", 0, 10, label="Start date"),
    D("hs_next_payment_due_date", 20, 400, label="Next payment due date", null_pct=20),
    E("hs_currency_code", CURRENCIES, label="Currency"),
]

GOAL_TARGET_PROPS = [
    S("hs_goal_name", ("fn", "title"), label="Goal name"),
    N("hs_target_amount", ("int", 1_000, 500_000), label="Target amount"),
    T("hs_start_datetime", 0, 1, label="Start date"),
    T("hs_end_datetime", 30, 365, label="End date"),
    E("hs_goal_type", ("revenue", "deals_created", "calls_made", "meetings_booked"),
      label="Goal type"),
    N("hs_assignee_user_id", ("fn", "user_id"), label="Assignee user ID"),
]


def _pricing(extra: list[PropDef]) -> list[PropDef]:
    """Discounts, fees and taxes share their properties (HubSpot's discounts/fees/taxes
    guides: `hs_label`, `hs_type`, `hs_value`, `hs_sort_order`)."""
    return [
        S("hs_label", ("fn", "title"), label="Label"),
        E("hs_type", ("PERCENT", "FIXED"), label="Type"),
        N("hs_value", ("num", 1, 50, 2), label="Value"),
        N("hs_sort_order", ("int", 0, 9), label="Sort order", null_pct=30),
        *extra,
    ]


DISCOUNT_PROPS = _pricing([E("hs_duration", ("ONCE", "FOREVER", "REPEATING"),
                             label="Duration", null_pct=20)])
FEE_PROPS = _pricing([])
TAX_PROPS = _pricing([])

COMMERCE_PAYMENT_PROPS = [
    S("hs_reference_number", ("fn", "doc_number"), label="Reference number"),
    N("hs_initial_amount", ("fn", "amount"), label="Gross amount"),
    T("hs_initiated_date", 0, 1, label="Payment date"),
    E("hs_latest_status", ("succeeded", "processing", "failed", "refunded"), label="Status"),
    E("hs_payment_method_type", ("card", "ach", "sepa", "bacs"), label="Payment method"),
    E("hs_currency_code", CURRENCIES, label="Currency"),
    N("hs_fees_amount", ("num", 0, 50, 2), label="Fees", null_pct=30),
]

USER_PROPS = [
    S("hs_given_name", ("fn", "firstname"), label="First name"),
    S("hs_family_name", ("fn", "lastname"), label="Last name"),
    S("hs_email", ("fn", "user_email"), label="Email", unique=True),
    S("hs_job_title", ("words", "jobtitles", 1), label="Job title", null_pct=30),
    E("hs_standard_time_zone", ("Europe/Berlin", "America/New_York", "Asia/Tokyo",
                                "Europe/London"), label="Time zone"),
    S("hs_additional_phone", ("fn", "phone"), ft="phonenumber", label="Additional phone",
      null_pct=60),
    E("hs_availability_status", ("available", "away"), label="Availability status"),
    RO("hs_internal_user_id", "number", "number", ("fn", "user_id"), label="User ID"),
]

ORDER_PROPS = [
    S("hs_order_name", ("fn", "title"), label="Order name"),
    N("hs_total_price", ("fn", "amount"), label="Total"),
    N("hs_subtotal_price", ("num", 5, 5000, 2), label="Subtotal", null_pct=10),
    E("hs_currency_code", CURRENCIES, label="Currency"),
    E("hs_fulfillment_status", ("unfulfilled", "partial", "fulfilled"), label="Fulfillment"),
    E("hs_payment_status", ("pending", "paid", "refunded"), label="Payment status"),
    S("hs_external_order_id", ("fn", "external_ref"), label="External order ID", null_pct=20),
    S("hs_shipping_address_city", ("words", "cities", 1), label="Shipping city", null_pct=20),
    E("hs_source_store", ("shopify", "woocommerce", "netsuite"), label="Source store"),
]

LEAD_PROPS = [
    S("hs_lead_name", ("fn", "title"), label="Lead name"),
    E("hs_lead_type", ("NEW_BUSINESS", "UPSELL", "RE_ATTEMPTING"), label="Lead type",
      null_pct=10),
    E("hs_lead_label", ("COLD", "WARM", "HOT"), label="Lead label", null_pct=20),
    STATUS_OWNER,
]

CART_PROPS = [
    S("hs_cart_name", ("fn", "title"), label="Cart name"),
    N("hs_total_price", ("fn", "amount"), label="Total"),
    E("hs_currency_code", CURRENCIES, label="Currency"),
    S("hs_cart_url", ("fn", "source_url"), label="Cart URL", null_pct=20),
    E("hs_source_store", ("shopify", "woocommerce", "netsuite"), label="Source store"),
    E("hs_cart_status", ("open", "abandoned", "converted"), label="Cart status"),
]

SERVICE_PROPS = [
    S("hs_name", ("fn", "title"), label="Service name"),
    E("hs_service_type", ("onboarding", "consulting", "repair", "maintenance"),
      label="Service type"),
    N("hs_price", ("num", 50, 20_000, 2), label="Price", null_pct=20),
    S("hs_description", ("fn", "comment"), ft="textarea", label="Description", null_pct=40),
    STATUS_OWNER,
]

COURSE_PROPS = [
    S("hs_course_name", ("fn", "title"), label="Course name"),
    D("hs_start_date", 10, 60, label="Start date"),
    D("hs_end_date", 61, 180, label="End date"),
    N("hs_capacity", ("int", 5, 200), label="Capacity", null_pct=20),
    E("hs_course_format", ("online", "in_person", "hybrid"), label="Format"),
]

LISTING_PROPS = [
    S("hs_name", ("fn", "title"), label="Listing name"),
    N("hs_price", ("int", 50_000, 2_000_000), label="Price"),
    N("hs_bedrooms", ("int", 0, 6), label="Bedrooms", null_pct=10),
    N("hs_bathrooms", ("int", 1, 4), label="Bathrooms", null_pct=10),
    N("hs_square_footage", ("int", 300, 6_000), label="Square footage", null_pct=20),
    S("hs_address_1", ("fn", "street"), label="Address"),
    S("hs_city", ("words", "cities", 1), label="City"),
    E("hs_listing_type", ("house", "apartment", "townhouse", "land"), label="Listing type"),
    STATUS_OWNER,
]

APPOINTMENT_PROPS = [
    S("hs_appointment_name", ("fn", "title"), label="Appointment name"),
    T("hs_appointment_start", 1, 30, label="Start"),
    T("hs_appointment_end", 31, 32, label="End"),
    E("hs_appointment_status", ("SCHEDULED", "COMPLETED", "CANCELED", "NO_SHOW"),
      label="Status"),
    STATUS_OWNER,
]

PROJECT_PROPS = [
    S("hs_name", ("fn", "title"), label="Project name"),
    E("hs_status", ("on_track", "at_risk", "off_track", "completed"), label="Status"),
    D("hs_start_date", 0, 10, label="Start date"),
    D("hs_target_due_date", 30, 200, label="Target due date", null_pct=20),
    N("hs_percent_complete", ("int", 0, 100), label="Percent complete"),
    S("hs_description", ("fn", "comment"), ft="textarea", label="Description", null_pct=40),
    STATUS_OWNER,
]

# Properties that were deleted by an admin: only listed with `?archived=true`
# (docs/hubspot-api.md#definitions).
ARCHIVED_CUSTOM = [
    S("old_campaign_code", archived=True),
    N("legacy_score", archived=True),
]


def assemble(created: str, modified: str, info_group: str, hubspot: list[PropDef],
             custom: list[PropDef]) -> list[PropDef]:
    """One type's property list: system, HubSpot-defined, then custom ones."""
    out = [replace(p, group=info_group) for p in _system(created, modified)]
    out += [replace(p, group=p.group or info_group) for p in hubspot]
    out += [replace(p, group="custom_properties", custom=True) for p in custom]
    out += [replace(p, group="custom_properties", custom=True) for p in ARCHIVED_CUSTOM]
    return out
