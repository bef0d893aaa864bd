"""HubSpot's legacy (v1/v2) JSON shapes, built from the same records the v3 API serves.

Shapes from HubSpot's legacy reference (developers.hubspot.com/docs/api-reference/legacy/…):
property definitions, `/companies/v2/companies/paged`, `/deals/v1/deal/paged`,
`/contacts/v1/lists/all/contacts/all`, `/engagements/v1/engagements/…`, `/owners/v2/owners`,
`/crm-pipelines/v1/pipelines/{type}`, `/deals/v1/pipelines`. Legacy quirks kept here:
- timestamps are epoch-ms numbers, and date/datetime property *values* epoch-ms strings
  (`"createdate": {"value": "1457708103847", "timestamp": 1457708103847, …}`);
- a property with no value is left out (legacy objects list only properties that have one);
- contacts use kebab-case keys (`canonical-vid`, `portal-id`), companies/deals camelCase.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from .properties import PropDef
from .relations import targets
from .render import history_json
from .schemas import ObjectType, property_json
from .store import Store, TypeState
from .timeutil import DAY_MS, FIXED_EPOCH_MS, parse_time_ms

PROPERTY_CREATED_MS = FIXED_EPOCH_MS - 1000 * DAY_MS  # the instant schemas.PROPERTY_CREATED shows


# -- property definitions --------------------------------------------------------------------

def property_definition(p: PropDef, otype: ObjectType) -> dict:
    """One legacy `Property`: the v3 fields HubSpot kept, flags flattened out of
    `modificationMetadata`, `deleted` instead of `archived`, times as epoch ms."""
    v3 = property_json(p, otype)
    meta = v3["modificationMetadata"]
    options = [{**o, "readOnly": False, "doubleData": 0.0} for o in v3["options"]]
    user = None if not p.custom else 8300001
    return {
        "name": p.name, "label": v3["label"], "description": p.description,
        "groupName": p.group, "type": p.type, "fieldType": p.field_type, "options": options,
        "displayOrder": v3["displayOrder"], "formField": v3["formField"],
        "readOnlyValue": meta["readOnlyValue"], "readOnlyDefinition": meta["readOnlyDefinition"],
        "hidden": False, "mutableDefinitionNotDeletable": not p.custom, "favorited": False,
        "favoritedOrder": -1, "calculated": p.calculated, "externalOptions": v3["externalOptions"],
        "displayMode": "current_value", "deleted": p.archived, "hubspotDefined": not p.custom,
        "createdAt": PROPERTY_CREATED_MS, "updatedAt": PROPERTY_CREATED_MS,
        "createdUserId": user, "updatedUserId": user,
    }


# -- property values -------------------------------------------------------------------------

@dataclass(frozen=True)
class Version:
    value: str
    ms: int
    source: str
    source_id: str | None


def legacy_value(p: PropDef | None, value) -> str | None:
    """A value as the legacy APIs print it: dates and datetimes as epoch-ms strings."""
    if value is None or value == "":
        return None
    if p is not None and p.type in ("date", "datetime"):
        ms = parse_time_ms(value)
        return None if ms is None else str(ms)
    return str(value)


def versions(ts: TypeState, idx: int, name: str) -> list[Version]:
    """A property's values, newest first; empty when its current value is unset."""
    p = ts.otype.by_name.get(name)
    out = []
    for entry in history_json(ts, idx, [name]).get(name, []):
        value = legacy_value(p, entry["value"])
        if value is None:
            if not out:
                return []  # cleared: the legacy APIs leave the property out
            continue
        out.append(Version(value, parse_time_ms(entry["timestamp"]) or 0, entry["sourceType"],
                           entry.get("sourceId")))
    return out


def object_properties(ts: TypeState, idx: int, names, history: set[str]) -> dict:
    """Companies/deals: `{value, timestamp, source, sourceId, versions[…]}` per property; the
    full `versions` list only for `propertiesWithHistory`, else the current one."""
    out = {}
    for name in names:
        found = versions(ts, idx, name)
        if found:
            latest = found[0]
            kept = found if name in history else found[:1]
            out[name] = {"value": latest.value, "timestamp": latest.ms, "source": latest.source,
                         "sourceId": latest.source_id,
                         "versions": [_object_version(name, v) for v in kept]}
    return out


def _object_version(name: str, v: Version) -> dict:
    return {"name": name, "value": v.value, "timestamp": v.ms, "source": v.source,
            "sourceId": v.source_id, "sourceVid": []}


def contact_properties(ts: TypeState, idx: int, names, with_history: bool) -> dict:
    """Contacts v1: `{"value"}` per property, plus `versions` with
    `propertyMode=value_and_history` (kebab-case keys, as the contacts API spells them)."""
    out = {}
    for name in names:
        found = versions(ts, idx, name)
        if found:
            out[name] = {"value": found[0].value}
            if with_history:
                out[name]["versions"] = [
                    {"value": v.value, "source-type": v.source, "source-id": v.source_id,
                     "source-label": None, "timestamp": v.ms, "selected": False} for v in found]
    return out


# -- records ---------------------------------------------------------------------------------

def contact(portal_id: int, ts: TypeState, idx: int, properties: dict,
            memberships: bool = False) -> dict:
    """A contact as `/contacts/v1/…` returns it; `vid` is the record id. `list-memberships`
    only with `showListMemberships=true` (empty: lists are not tied to legacy contacts here)."""
    vid, created = int(ts.id_of(idx)), ts.live.created_ms(idx)
    email = ts.live.value(idx, "email")
    identities = [{"type": "LEAD_GUID", "timestamp": created,
                   "value": str(uuid.uuid5(uuid.NAMESPACE_URL, f"hubspot-emulator:{vid}"))}]
    if email:
        identities.insert(0, {"type": "EMAIL", "value": email, "timestamp": created,
                              "is-primary": True})
    out = {"addedAt": created, "vid": vid, "canonical-vid": vid,
           "merged-vids": [int(ts.id_of(i)) for i in ts.live.merge_sources.get(idx, ())],
           "portal-id": portal_id, "is-contact": True, "properties": properties,
           "form-submissions": [], "merge-audits": [],
           "identity-profiles": [{"vid": vid, "saved-at-timestamp": created,
                                  "deleted-changed-timestamp": 0, "identities": identities}]}
    if memberships:
        out["list-memberships"] = []
    return out


def company(portal_id: int, ts: TypeState, idx: int, properties: dict) -> dict:
    return {"portalId": portal_id, "companyId": int(ts.id_of(idx)), "isDeleted": False,
            "properties": properties, "additionalDomains": [], "stateChanges": [],
            "mergeAudits": []}


def deal(portal_id: int, ts: TypeState, idx: int, properties: dict,
         associations: dict | None) -> dict:
    out = {"portalId": portal_id, "dealId": int(ts.id_of(idx)), "isDeleted": False,
           "properties": properties, "imports": [], "stateChanges": []}
    if associations is not None:
        out["associations"] = associations
    return out


def linked_ids(store: Store, ts: TypeState, idx: int, other: str) -> list[int]:
    """Ids of the live `other` records linked to record idx (legacy lists are plain ids)."""
    to = store.types.get(other)
    return [] if to is None else [int(to.id_of(t)) for t, _ in targets(store, ts, idx, to)]


def deal_associations(store: Store, ts: TypeState, idx: int) -> dict:
    return {"associatedVids": linked_ids(store, ts, idx, "contacts"),
            "associatedCompanyIds": linked_ids(store, ts, idx, "companies"),
            "associatedDealIds": [],
            "associatedTicketIds": linked_ids(store, ts, idx, "tickets")}


# -- engagements -----------------------------------------------------------------------------

# The legacy `engagement.type` per v3 activity object, and the `metadata` keys it carries
# (legacy engagements overview), each read from a v3 property: (key, property, kind).
ENGAGEMENT_KINDS = {"calls": "CALL", "emails": "EMAIL", "meetings": "MEETING", "notes": "NOTE",
                    "tasks": "TASK"}
_METADATA = {
    "calls": (("title", "hs_call_title", "str"), ("body", "hs_call_body", "str"),
              ("toNumber", "hs_call_to_number", "str"),
              ("fromNumber", "hs_call_from_number", "str"), ("status", "hs_call_status", "str"),
              ("durationMilliseconds", "hs_call_duration", "int"),
              ("recordingUrl", "hs_call_recording_url", "str"),
              ("disposition", "hs_call_disposition", "str")),
    "emails": (("subject", "hs_email_subject", "str"), ("text", "hs_email_text", "str"),
               ("html", "hs_email_html", "str")),
    "meetings": (("title", "hs_meeting_title", "str"), ("body", "hs_meeting_body", "str"),
                 ("startTime", "hs_meeting_start_time", "ms"),
                 ("endTime", "hs_meeting_end_time", "ms"),
                 ("meetingOutcome", "hs_meeting_outcome", "str")),
    "notes": (("body", "hs_note_body", "str"),),
    "tasks": (("subject", "hs_task_subject", "str"), ("body", "hs_task_body", "str"),
              ("status", "hs_task_status", "str"), ("priority", "hs_task_priority", "str"),
              ("taskType", "hs_task_type", "str")),
}


def engagement(store: Store, ts: TypeState, idx: int) -> dict:
    """One `{engagement, associations, attachments, metadata}` of the legacy engagements API."""
    ov, name = ts.live, ts.otype.name
    values = ov.values(idx)
    kind = ENGAGEMENT_KINDS[name]
    if name == "emails" and values.get("hs_email_direction") in ("INCOMING_EMAIL",
                                                                  "FORWARDED_EMAIL"):
        kind = values["hs_email_direction"]
    created = ov.created_ms(idx)
    head = {"id": int(ts.id_of(idx)), "portalId": store.portal_id, "active": True,
            "createdAt": created, "lastUpdated": ov.modified_ms(idx),
            "ownerId": _int(values.get("hubspot_owner_id")), "type": kind,
            "timestamp": parse_time_ms(values.get("hs_timestamp")) or created}
    if values.get("hs_body_preview"):
        head["bodyPreview"] = values["hs_body_preview"]
    return {"engagement": head, "associations": {
                "contactIds": linked_ids(store, ts, idx, "contacts"),
                "companyIds": linked_ids(store, ts, idx, "companies"),
                "dealIds": linked_ids(store, ts, idx, "deals"), "ownerIds": [],
                "workflowIds": [], "ticketIds": linked_ids(store, ts, idx, "tickets")},
            "attachments": [], "metadata": _metadata(name, values)}


def _metadata(name: str, values: dict) -> dict:
    out: dict = {}
    for key, prop, kind in _METADATA.get(name, ()):
        value = values.get(prop)
        if value is None or value == "":
            continue
        out[key] = value if kind == "str" else (_int(value) if kind == "int"
                                                 else parse_time_ms(value))
    if name == "emails":  # addresses are objects and lists in the legacy shape
        out["from"] = {"email": values.get("hs_email_sender_email")}
        to = values.get("hs_email_to_email")
        out.update(to=[{"email": to}] if to else [], cc=[], bcc=[])
    if name == "tasks":
        out["forObjectType"] = "CONTACT"
    return out


def _int(value) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


# -- owners and pipelines --------------------------------------------------------------------

def owner_v2(o: dict, portal_id: int) -> dict:
    """`/owners/v2/owners` shape: numeric `ownerId`, epoch-ms times, a HubSpot remote."""
    oid, active = int(o["id"]), not o["archived"]
    return {"portalId": portal_id, "ownerId": oid, "type": o["type"],
            "firstName": o["firstName"], "lastName": o["lastName"], "email": o["email"],
            "createdAt": parse_time_ms(o["createdAt"]), "updatedAt": parse_time_ms(o["updatedAt"]),
            "remoteList": [{"id": oid * 10 + 1, "portalId": portal_id, "ownerId": oid,
                            "remoteId": str(o["userId"]), "remoteType": "HUBSPOT",
                            "active": active}],
            "hasContactsAccess": False, "activeUserId": o["userId"] if active else None,
            "userIdIncludingInactive": o["userIdIncludingInactive"],
            "activeSalesforceId": None, "isActive": active}


def crm_pipeline_v1(p: dict, otype: ObjectType) -> dict:
    """`/crm-pipelines/v1/pipelines/{type}` shape: `pipelineId`/`stageId`, epoch-ms times."""
    created, updated = parse_time_ms(p["createdAt"]), parse_time_ms(p["updatedAt"])
    stages = [{"stageId": s["id"], "label": s["label"], "displayOrder": s["displayOrder"],
               "metadata": s["metadata"], "active": not s["archived"],
               "createdAt": parse_time_ms(s["createdAt"]),
               "updatedAt": parse_time_ms(s["updatedAt"])} for s in p["stages"]]
    return {"pipelineId": p["id"], "objectType": otype.singular.upper(),
            "objectTypeId": otype.type_id, "label": p["label"], "displayOrder": p["displayOrder"],
            "active": not p["archived"], "stages": stages, "createdAt": created,
            "updatedAt": updated, "default": p["displayOrder"] == 0}


def deal_pipeline_v1(p: dict) -> dict:
    """`/deals/v1/pipelines` shape: numeric `probability`, `closedWon`, `staticDefault`."""
    stages = [{"stageId": s["id"], "label": s["label"], "displayOrder": s["displayOrder"],
               "probability": float(s["metadata"]["probability"]), "active": True,
               "closedWon": s["metadata"]["probability"] == "1.0"} for s in p["stages"]]
    return {"pipelineId": p["id"], "label": p["label"], "displayOrder": p["displayOrder"],
            "active": True, "staticDefault": p["id"] == "default", "stages": stages}
