"""Object types, owners and pipelines of an emulated portal (docs/hubspot-api.md#object-types,
#definitions).

An `ObjectType` knows its names (plural, singular, type id, fully qualified name), its
creation / last-modified property names, its default properties and its property list.
`TypeRegistry` resolves any of those names, as HubSpot does for `{objectType}` in a path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import properties as P
from .properties import PropDef
from .timeutil import FIXED_EPOCH_MS, iso_ms

ENGAGEMENT_CREATED = "hs_createdate"


@dataclass
class ObjectType:
    name: str  # plural API name, e.g. "contacts"
    type_id: str  # "0-1"
    singular: str  # "contact"
    error_word: str  # "CONTACT", used in batch OBJECT_NOT_FOUND messages
                     # (docs/hubspot-api.md#batch-reads)
    created_prop: str
    modified_prop: str
    default_props: tuple[str, ...]
    props: list[PropDef]
    id_base: int  # first generated id is id_base + 1
    share: Callable[[int], int]  # number of generated records for a portal of N contacts
    searchable: tuple[str, ...]  # properties a free-text `query` search looks at
    primary_display: str
    custom: bool = False
    fqn: str = ""
    labels: tuple[str, str] = ("", "")
    created_at_ms: int = 0
    # The stem of the type's OAuth scopes (`crm.objects.quotes` -> `.read`/`.write`); empty:
    # auth.object_scope's table decides.
    scope: str = ""
    by_name: dict[str, PropDef] = field(default_factory=dict)
    # The property whose value is the record's stage (`dealstage`, `lifecyclestage` …): HubSpot
    # computes stage calculated properties from its changes (stage_times.py); empty: none.
    stage_property: str = ""
    # Stages a portal admin added to a pipeline at run time (control surface), by pipeline id.
    added_stages: dict[str, list[dict]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_name = {p.name: p for p in self.props if not p.archived}

    @property
    def live_props(self) -> list[PropDef]:
        return [p for p in self.props if not p.archived]

    def aliases(self) -> list[str]:
        names = [self.name, self.singular, self.type_id]
        if self.fqn:
            names.append(self.fqn)
        return [n.lower() for n in names]


def _n(div: int) -> Callable[[int], int]:
    return lambda n: 0 if n <= 0 else max(1, n // div)


def _standard(name, type_id, singular, word, id_base, share, defaults, searchable, display,
              info_group, hubspot, custom, created="createdate", modified="hs_lastmodifieddate",
              ) -> ObjectType:
    props = P.assemble(created, modified, info_group, hubspot, custom)
    return ObjectType(name, type_id, singular, word, created, modified, tuple(defaults), props,
                      id_base, share, tuple(searchable), display,
                      labels=(singular.replace("_", " ").title(),
                              name.replace("_", " ").title()))


def _engagement(name, type_id, singular, id_base, specific, display) -> ObjectType:
    # Engagements use hs_createdate rather than createdate (docs/hubspot-api.md#records).
    return _standard(name, type_id, singular, singular.upper(), id_base, _n(2),
                     (display, "hs_timestamp"), (display,), display, singular,
                     P.ENGAGEMENT_COMMON + specific, P.COMMON_CUSTOM,
                     created=ENGAGEMENT_CREATED)


def _cap(div: int, cap: int) -> Callable[[int], int]:
    share = _n(div)
    return lambda n: min(cap, share(n))


def _object(name, type_id, singular, id_base, share, display, hubspot, scope,
            activity=False) -> ObjectType:
    """One of the other standard objects: created/modified as `hs_createdate`/
    `hs_lastmodifieddate` (docs/hubspot-api.md#records: quotes and the newer objects), HubSpot's own
    properties plus the portal's custom ones, and its own scope (`crm.objects.<x>`)."""
    hubspot = P.ENGAGEMENT_COMMON + hubspot if activity else hubspot
    defaults = (display, "hs_timestamp") if activity else (display,)
    otype = _standard(name, type_id, singular, singular.upper(), id_base, share, defaults,
                      (display,), display, f"{singular.replace('_', '')}information", hubspot,
                      P.COMMON_CUSTOM, created=ENGAGEMENT_CREATED)
    otype.scope = scope
    return otype


def other_standard_types() -> list[ObjectType]:
    """Every other standard object HubSpot documents that `/crm/v3/objects/{type}` serves.

    Type ids: the table in HubSpot's "Using the object APIs" guide
    (https://developers.hubspot.com/docs/guides/crm/using-object-apis). API names: each
    object's guide and HubSpot's Python SDK (`/crm/v3/objects/goal_targets`,
    `commerce_payments`, `postal_mail` …). Scopes: each guide's "Scope requirements"
    (discounts, fees and taxes use the line items scopes; communications and postal mail,
    activities, the contacts scopes as the other engagements here, *choice*). Record ids:
    bases 75,000,000,000 to 84,500,000,000, half a billion apart. See BEHAVIOR.md."""
    b = 1_000_000_000
    return [
        _object("quotes", "0-14", "quote", 75 * b, _n(20), "hs_title", P.QUOTE_PROPS,
                "crm.objects.quotes"),
        _object("communications", "0-18", "communication", 75 * b + b // 2, _n(10),
                "hs_communication_body", P.COMMUNICATION_PROPS, "crm.objects.contacts",
                activity=True),
        _object("feedback_submissions", "0-19", "feedback_submission", 76 * b, _n(20),
                "hs_survey_name", P.FEEDBACK_SUBMISSION_PROPS,
                "crm.objects.feedback_submissions"),
        _object("invoices", "0-53", "invoice", 76 * b + b // 2, _n(20), "hs_number",
                P.INVOICE_PROPS, "crm.objects.invoices"),
        _object("subscriptions", "0-69", "subscription", 77 * b, _n(40), "hs_name",
                P.SUBSCRIPTION_PROPS, "crm.objects.subscriptions"),
        _object("goal_targets", "0-74", "goal_target", 77 * b + b // 2, _cap(20, 100),
                "hs_goal_name", P.GOAL_TARGET_PROPS, "crm.objects.goals"),
        _object("discounts", "0-84", "discount", 78 * b, _cap(25, 40), "hs_label",
                P.DISCOUNT_PROPS, "crm.objects.line_items"),
        _object("fees", "0-85", "fee", 78 * b + b // 2, _cap(25, 40), "hs_label", P.FEE_PROPS,
                "crm.objects.line_items"),
        _object("taxes", "0-86", "tax", 79 * b, _cap(25, 40), "hs_label", P.TAX_PROPS,
                "crm.objects.line_items"),
        _object("commerce_payments", "0-101", "commerce_payment", 79 * b + b // 2, _n(25),
                "hs_reference_number", P.COMMERCE_PAYMENT_PROPS,
                "crm.objects.commercepayments"),
        _object("users", "0-115", "user", 80 * b, _cap(20, 30), "hs_email", P.USER_PROPS,
                "crm.objects.users"),
        _object("postal_mail", "0-116", "postal_mail", 80 * b + b // 2, _n(40),
                "hs_postal_mail_body", P.POSTAL_MAIL_PROPS, "crm.objects.contacts",
                activity=True),
        _object("orders", "0-123", "order", 81 * b, _n(20), "hs_order_name", P.ORDER_PROPS,
                "crm.objects.orders"),
        _object("leads", "0-136", "lead", 81 * b + b // 2, _n(10), "hs_lead_name",
                P.LEAD_PROPS, "crm.objects.leads"),
        _object("carts", "0-142", "cart", 82 * b, _n(25), "hs_cart_name", P.CART_PROPS,
                "crm.objects.carts"),
        _object("services", "0-162", "service", 82 * b + b // 2, _cap(50, 100), "hs_name",
                P.SERVICE_PROPS, "crm.objects.services"),
        _object("courses", "0-410", "course", 83 * b, _cap(50, 100), "hs_course_name",
                P.COURSE_PROPS, "crm.objects.courses"),
        _object("listings", "0-420", "listing", 83 * b + b // 2, _n(50), "hs_name",
                P.LISTING_PROPS, "crm.objects.listings"),
        _object("appointments", "0-421", "appointment", 84 * b, _n(20), "hs_appointment_name",
                P.APPOINTMENT_PROPS, "crm.objects.appointments"),
        _object("projects", "0-970", "project", 84 * b + b // 2, _cap(50, 200), "hs_name",
                P.PROJECT_PROPS, "crm.objects.projects"),
    ]


PETS_TYPE_ID = "2-3508482"


def builtin_types(portal_id: int) -> list[ObjectType]:
    """The standard HubSpot objects plus one custom object (`pets`, its names carrying the
    portal's id as HubSpot's custom object names do)."""
    contacts = _standard(
        "contacts", "0-1", "contact", "CONTACT", 10_000_000_000, lambda n: max(0, n),
        ("firstname", "lastname", "email"), ("firstname", "lastname", "email", "phone", "company"),
        "email", "contactinformation", P.CONTACT_PROPS, P.CONTACT_CUSTOM,
        modified="lastmodifieddate")  # contacts alone use lastmodifieddate
                                      # (docs/hubspot-api.md#records)
    contacts.stage_property = "lifecyclestage"
    types = [
        contacts,
        _standard("companies", "0-2", "company", "COMPANY", 20_000_000_000, _n(5),
                  ("name", "domain"), ("name", "domain", "website", "phone"), "name",
                  "companyinformation", P.COMPANY_PROPS, P.COMPANY_CUSTOM + P.COMMON_CUSTOM),
        _standard("deals", "0-3", "deal", "DEAL", 30_000_000_000, _n(4),
                  ("dealname", "amount", "closedate", "pipeline", "dealstage"), ("dealname",),
                  "dealname", "dealinformation", P.DEAL_PROPS, P.DEAL_CUSTOM + P.COMMON_CUSTOM),
        _standard("tickets", "0-5", "ticket", "TICKET", 40_000_000_000, _n(10),
                  ("content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_category",
                   "hs_ticket_priority", "subject"), ("subject", "content"), "subject",
                  "ticketinformation", P.TICKET_PROPS, P.TICKET_CUSTOM + P.COMMON_CUSTOM),
        _standard("products", "0-7", "product", "PRODUCT", 50_000_000_000,
                  lambda n: min(200, max(0, n)), ("name", "description", "price"),
                  ("name", "hs_sku", "description"), "name", "productinformation",
                  P.PRODUCT_PROPS, P.PRODUCT_CUSTOM + P.COMMON_CUSTOM),
        _standard("line_items", "0-8", "line_item", "LINE_ITEM", 60_000_000_000, _n(4),
                  ("quantity", "amount", "price"), ("name", "hs_sku"), "name",
                  "lineiteminformation", P.LINE_ITEM_PROPS, P.LINE_ITEM_CUSTOM + P.COMMON_CUSTOM),
        _engagement("calls", "0-48", "call", 70_000_000_000, P.CALL_PROPS, "hs_call_title"),
        _engagement("emails", "0-49", "email", 71_000_000_000, P.EMAIL_PROPS, "hs_email_subject"),
        _engagement("meetings", "0-47", "meeting", 72_000_000_000, P.MEETING_PROPS,
                    "hs_meeting_title"),
        _engagement("notes", "0-46", "note", 73_000_000_000, P.NOTE_PROPS, "hs_note_body"),
        _engagement("tasks", "0-27", "task", 74_000_000_000, P.TASK_PROPS, "hs_task_subject"),
        *other_standard_types(),
    ]
    for otype, stage_property in zip(types[1:4], ("lifecyclestage", "dealstage",
                                                   "hs_pipeline_stage"), strict=True):
        otype.stage_property = stage_property  # companies, deals, tickets
    pets = _standard("pets", PETS_TYPE_ID, "pet", f"P{portal_id}_PETS", 90_000_000_000, _n(10),
                     ("pet_name",), ("pet_name", "breed"), "pet_name", "pet_information",
                     P.PET_PROPS, P.COMMON_CUSTOM, created=ENGAGEMENT_CREATED)
    pets.custom, pets.fqn, pets.labels = True, f"p{portal_id}_pets", ("Pet", "Pets")
    pets.created_at_ms = FIXED_EPOCH_MS - 800 * 86_400_000
    types.append(pets)
    return types


class TypeRegistry:
    """Resolves `{objectType}` path segments: plural, singular, type id or FQN."""

    def __init__(self, types: list[ObjectType]) -> None:
        self.types: list[ObjectType] = []
        self._alias: dict[str, ObjectType] = {}
        for t in types:
            self.add(t)

    def add(self, otype: ObjectType) -> None:
        self.types.append(otype)
        for alias in otype.aliases():
            self._alias.setdefault(alias, otype)

    def resolve(self, token: str) -> ObjectType | None:
        return self._alias.get(token.lower())

    def custom_types(self) -> list[ObjectType]:
        return [t for t in self.types if t.custom]

    def next_custom_id(self) -> str:
        highest = max(int(t.type_id.split("-")[1]) for t in self.custom_types())
        return f"2-{highest + 1}"


# ---- owners (docs/hubspot-api.md#definitions) ----------------------------------------------------

_OWNER_NAMES = [
    ("Ava", "Thompson"), ("Liam", "Okafor"), ("Mia", "Schneider"), ("Noah", "Fernández"),
    ("Emma", "Kowalski"), ("Lucas", "Tanaka"), ("Sofia", "Rossi"), ("Ethan", "Nakamura"),
    ("Chloé", "Dubois"), ("Mateo", "Silva"), ("Hannah", "Lindqvist"), ("Omar", "Haddad"),
    ("Priya", "Raman"), ("Jonas", "Berg"), ("Grace", "O'Connor"), ("Leo", "Novak"),
    ("Isla", "MacLeod"), ("Yusuf", "Demir"), ("Zara", "Ahmed"), ("Felix", "Wagner"),
    ("Queue", "Support EMEA"), ("Former", "Employee"),
]
OWNER_BASE_ID = 41_029_300
ACTIVE_OWNER_COUNT = 20


def owners() -> list[dict]:
    """~20 active owners (one is a QUEUE) plus two archived ones, in id order."""
    out = []
    created = FIXED_EPOCH_MS - 900 * 86_400_000
    for k, (first, last) in enumerate(_OWNER_NAMES):
        oid = OWNER_BASE_ID + k + 1
        archived = k >= ACTIVE_OWNER_COUNT
        owner = {
            "id": str(oid),
            "email": f"{first.lower()}.{last.split()[0].lower()}@emulated-portal.example",
            "firstName": first,
            "lastName": last,
            "userId": 8_300_000 + k + 1,
            "userIdIncludingInactive": 8_300_000 + k + 1,
            "type": "QUEUE" if first == "Queue" else "PERSON",
            "createdAt": iso_ms(created + k * 3_600_000),
            "updatedAt": iso_ms(created + k * 3_600_000 + 86_400_000 * (k + 1)),
            "archived": archived,
            "teams": [{"id": str(1_000 + k % 3), "name": ("Sales", "Success", "Support")[k % 3],
                       "primary": True}],
        }
        if k % 5 == 4:  # a few also belong to a second team (settings_users.py: its users)
            second = (k + 1) % 3
            owner["teams"].append({"id": str(1_000 + second),
                                   "name": ("Sales", "Success", "Support")[second],
                                   "primary": False})
        if first == "Queue":
            owner["email"] = "support-queue@emulated-portal.example"
        if archived:
            owner["archivedAt"] = owner["updatedAt"]
        out.append(owner)
    return out


def active_owner_ids() -> list[str]:
    return [str(OWNER_BASE_ID + k + 1) for k in range(ACTIVE_OWNER_COUNT)]


# ---- pipelines (docs/hubspot-api.md#definitions) -------------------------------------------------

_EPOCH0 = "1970-01-01T00:00:00Z"  # default pipelines report createdAt = epoch 0


def _stage(sid, label, order, metadata, created=_EPOCH0, updated=_EPOCH0):
    return {"id": sid, "label": label, "displayOrder": order, "metadata": metadata,
            "archived": False, "createdAt": created, "updatedAt": updated,
            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}


def _deal_meta(prob: str, closed: bool) -> dict:
    return {"isClosed": "true" if closed else "false", "probability": prob}


def _ticket_meta(state: str) -> dict:
    return {"ticketState": state, "isClosed": "true" if state == "CLOSED" else "false"}


DEAL_STAGES = {
    "default": [("appointmentscheduled", "Appointment Scheduled", "0.2"),
                ("qualifiedtobuy", "Qualified To Buy", "0.4"),
                ("presentationscheduled", "Presentation Scheduled", "0.6"),
                ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8"),
                ("contractsent", "Contract Sent", "0.9"),
                ("closedwon", "Closed Won", "1.0"),
                ("closedlost", "Closed Lost", "0.0")],
    "8134710": [("8134711", "Discovery", "0.1"), ("8134712", "Proposal", "0.5"),
                ("8134713", "Negotiation", "0.75"), ("8134714", "Won", "1.0"),
                ("8134715", "Lost", "0.0")],
}
TICKET_STAGES = {
    "0": [("1", "New", "OPEN"), ("2", "Waiting on contact", "OPEN"),
          ("3", "Waiting on us", "OPEN"), ("4", "Closed", "CLOSED")],
    "9202001": [("9202002", "Triage", "OPEN"), ("9202003", "In progress", "OPEN"),
                ("9202004", "Resolved", "CLOSED")],
}
CLOSED_WON = {"closedwon", "8134714"}


def pipelines(otype: ObjectType) -> list[dict] | None:
    """The type's pipelines with their stages (those added at run time last); None: the type
    has no pipelines."""
    if otype.name == "deals":
        found = [_deal_pipeline("default", "Sales Pipeline", 0, _EPOCH0),
                 _deal_pipeline("8134710", "Enterprise Pipeline", 1, iso_ms(FIXED_EPOCH_MS
                                                                           - 600 * 86_400_000))]
    elif otype.name == "tickets":
        found = [_ticket_pipeline("0", "Support Pipeline", 0, _EPOCH0),
                 _ticket_pipeline("9202001", "Escalations", 1,
                                  iso_ms(FIXED_EPOCH_MS - 500 * 86_400_000))]
    else:
        return None
    for pipeline in found:
        pipeline["stages"] += otype.added_stages.get(pipeline["id"], [])
    return found


def add_stage(otype: ObjectType, pipeline_id: str, stage_id: str, label: str,
              metadata: dict) -> dict:
    """Add a stage at the end of one of the type's pipelines, as a portal admin would."""
    found = {p["id"]: p for p in pipelines(otype) or []}
    if pipeline_id not in found:
        raise ValueError(f"{otype.name} has no pipeline {pipeline_id}")
    if stage_id in pipeline_stage_ids(otype):
        raise ValueError(f"{otype.name} already has a stage {stage_id}")
    now = iso_ms(FIXED_EPOCH_MS)
    stage = _stage(stage_id, label, len(found[pipeline_id]["stages"]), metadata, now, now)
    otype.added_stages.setdefault(pipeline_id, []).append(stage)
    return stage


def pipeline_stage_ids(otype: ObjectType) -> list[str]:
    """Every stage id of the type's pipelines, in pipeline and stage order."""
    return [stage["id"] for p in pipelines(otype) or [] for stage in p["stages"]]


def _deal_pipeline(pid, label, order, created):
    stages = [_stage(sid, lab, k, _deal_meta(prob, prob in ("1.0", "0.0")), created, created)
              for k, (sid, lab, prob) in enumerate(DEAL_STAGES[pid])]
    return {"id": pid, "label": label, "displayOrder": order, "archived": False,
            "createdAt": created, "updatedAt": created, "stages": stages}


def _ticket_pipeline(pid, label, order, created):
    stages = [_stage(sid, lab, k, _ticket_meta(state), created, created)
              for k, (sid, lab, state) in enumerate(TICKET_STAGES[pid])]
    return {"id": pid, "label": label, "displayOrder": order, "archived": False,
            "createdAt": created, "updatedAt": created, "stages": stages}


# ---- property JSON (docs/hubspot-api.md#definitions) ---------------------------------------------

PROPERTY_CREATED = iso_ms(FIXED_EPOCH_MS - 1000 * 86_400_000)


def property_json(p: PropDef, otype: ObjectType) -> dict:
    options = [{"label": _option_label(v), "value": v, "displayOrder": k, "hidden": False,
                "description": ""} for k, v in enumerate(_options(p, otype))]
    out = {
        "name": p.name, "label": p.display_label, "type": p.type, "fieldType": p.field_type,
        "description": p.description, "groupName": p.group, "options": options,
        "displayOrder": -1 if not p.custom else 0, "calculated": p.calculated,
        "externalOptions": p.name in ("hubspot_owner_id", "pipeline", "dealstage",
                                      "hs_pipeline", "hs_pipeline_stage"),
        "hasUniqueValue": p.unique, "hidden": False, "hubspotDefined": not p.custom,
        "formField": not p.read_only and otype.name in ("contacts", "companies"),
        "modificationMetadata": {"archivable": p.custom, "readOnlyDefinition": not p.custom,
                                 "readOnlyValue": p.read_only},
        "createdAt": PROPERTY_CREATED, "updatedAt": PROPERTY_CREATED,
        "archived": p.archived, "dataSensitivity": p.sensitivity,
    }
    if p.custom:
        out["createdUserId"] = "8300001"
        out["updatedUserId"] = "8300001"
    if p.archived:
        out["archivedAt"] = iso_ms(FIXED_EPOCH_MS - 100 * 86_400_000)
    return out


def _options(p: PropDef, otype: ObjectType) -> tuple[str, ...]:
    if p.name == "hubspot_owner_id":
        return tuple(active_owner_ids())
    if p.name in ("pipeline", "hs_pipeline"):
        return tuple(DEAL_STAGES if otype.name == "deals" else TICKET_STAGES)
    if p.name in ("dealstage", "hs_pipeline_stage"):
        return tuple(pipeline_stage_ids(otype))
    return p.options


def _option_label(value: str) -> str:
    return value.replace("_", " ").capitalize() if not value.isdigit() else value
