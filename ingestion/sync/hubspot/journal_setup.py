"""The webhooks journal's subscriptions: the ones the mirror needs, made so at HubSpot.

For every record type the mirror syncs (the standard types' table and the custom object types
the schemas API lists: `engines.registry.record_engines`, as `sync_hubspot_all` runs them):
- one OBJECT subscription: created, updated (every property), deleted, merged, restored, of
  every record;
- one ASSOCIATION subscription: links added or removed to the mirrored types it links to
  (the types its syncs read links to: the type table's, a schema's definitions). A pair
  both ends subscribe to is written to the journal once per end;
- contacts: a GDPR_PRIVACY_DELETION subscription;
and one LIST_MEMBERSHIP subscription (every list), lists being mirrored.

Idempotent: the app's subscriptions are listed (one GET), then what is missing is created,
what differs updated (HubSpot's POST is an upsert), what the mirror no longer needs deleted
(a type gone: a custom object type archived), and what matches left alone. Only the kinds of
subscription the mirror makes, on the mirrored portal, are its own: the app's others (another
portal's, app lifecycle events) are never touched. Empty `objectIds` / `properties` /
`listIds` mean "all" (docs/hubspot-api.md#webhooks-journal).

No database here but the `JournalState` row the caller writes (`record_setup`): its
`subscribed_types` and `set_up_at`, never the read position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from ingestion.models import JournalState

from . import catalog
from .client import HubSpotClient
from .engines.custom_objects import HubSpotCustomObjectSyncEngine
from .engines.registry import record_engines
from .portals import mirrored_portal
from .replies import Deleted, Subscription, Subscriptions

OBJECT, ASSOCIATION = "OBJECT", "ASSOCIATION"
LIST_MEMBERSHIP, GDPR = "LIST_MEMBERSHIP", "GDPR_PRIVACY_DELETION"
MANAGED_KINDS = (OBJECT, ASSOCIATION, LIST_MEMBERSHIP, GDPR)
OBJECT_ACTIONS = ("CREATE", "UPDATE", "DELETE", "MERGE", "RESTORE")
ASSOCIATION_ACTIONS = ("ASSOCIATION_ADDED", "ASSOCIATION_REMOVED")
LIST_ACTIONS = ("ADDED_TO_LIST", "REMOVED_FROM_LIST")
GDPR_ACTIONS = ("GDPR_DELETE",)
CONTACTS_TYPE_ID = catalog.OBJECT_TYPE_IDS["contacts"]
STATE_KEY = JournalState.LOCAL  # the local journal's row


@dataclass(frozen=True)
class MirroredType:
    """A record type the mirror syncs: its name as the commands name it (`contacts`, a
    custom type's `2-…`), HubSpot's type id, and the type ids of the mirrored types it
    links to."""

    name: str
    type_id: str
    links: tuple[str, ...] = ()
    label: str = ""  # how lines name it: `contacts (0-1)`, `pets (2-3508482)`


@dataclass
class Plan:
    """What set-up does: the bodies to POST (new, changed), the subscriptions to delete,
    and how many already match."""

    create: list[dict] = field(default_factory=list)
    update: list[tuple[Subscription, dict]] = field(default_factory=list)
    remove: list[Subscription] = field(default_factory=list)
    unchanged: int = 0
    labels: dict[str, str] = field(default_factory=dict)  # type id → how lines name it

    def summary(self, dry_run: bool = False) -> str:
        line = (f"journal: subscriptions created={len(self.create)} "
                f"updated={len(self.update)} removed={len(self.remove)} "
                f"unchanged={self.unchanged}")
        return line + (" (dry run: nothing was written)" if dry_run else "")

    def lines(self) -> list[str]:
        """One line per change, for --dry-run and --verbosity 2."""
        def said(body: dict) -> str:
            return describe(body, self.labels)

        return ([f"create {said(body)}" for body in self.create]
                + [f"update {said(body)} (subscription {old.id})" for old, body in self.update]
                + [f"remove {said(as_body(old))} (subscription {old.id})"
                   for old in self.remove])


def mirrored_types(crm: HubSpotClient) -> list[MirroredType]:
    """Every record type the mirror syncs (standard and custom: the schemas API is asked,
    as sync_hubspot_all asks it), with its links to other mirrored types."""
    engines = record_engines(None, crm)
    ids = {e.object_type: catalog.OBJECT_TYPE_IDS.get(e.object_type, e.object_type)
           for e in engines}
    mirrored = set(ids.values())
    types = []
    for engine in engines:
        targets = (catalog.OBJECT_TYPE_IDS.get(t, t) for t in engine.association_types)
        links = tuple(dict.fromkeys(t for t in targets if t in mirrored))
        type_id = ids[engine.object_type]
        custom = issubclass(engine, HubSpotCustomObjectSyncEngine)  # `pets (2-…)`
        label = engine.label if custom else f"{engine.object_type} ({type_id})"
        types.append(MirroredType(engine.object_type, type_id, links, label))
    return types


def wanted(portal: int, types: list[MirroredType], *, lists: bool = True) -> list[dict]:
    """The subscriptions the mirror needs, as the bodies HubSpot's POST takes."""
    bodies: list[dict] = []
    for entry in types:
        bodies.append({"subscriptionType": OBJECT, "portalId": portal,
                       "objectTypeId": entry.type_id, "actions": list(OBJECT_ACTIONS),
                       "objectIds": [], "properties": []})
        if entry.links:
            bodies.append({"subscriptionType": ASSOCIATION, "portalId": portal,
                           "objectTypeId": entry.type_id,
                           "actions": list(ASSOCIATION_ACTIONS), "objectIds": [],
                           "associatedObjectTypeIds": list(entry.links)})
        if entry.type_id == CONTACTS_TYPE_ID:
            bodies.append({"subscriptionType": GDPR, "portalId": portal,
                           "objectTypeId": entry.type_id, "actions": list(GDPR_ACTIONS)})
    if lists:
        bodies.append({"subscriptionType": LIST_MEMBERSHIP, "portalId": portal,
                       "actions": list(LIST_ACTIONS), "objectIds": [], "listIds": []})
    return bodies


def plan(existing: list[Subscription], bodies: list[dict], portal: int) -> Plan:
    """Compare the app's subscriptions with the ones wanted. HubSpot's upsert matches a
    subscription by portal, kind and object type (`key`): one per key is kept (updated when
    it differs), any other of the mirror's kinds on this portal is removed."""
    result = Plan()
    ours = [s for s in existing
            if s.subscription_type in MANAGED_KINDS and s.portal_id == portal]
    by_key: dict[tuple, Subscription] = {}
    for subscription in ours:
        by_key.setdefault(key(as_body(subscription)), subscription)
    kept = set()
    for body in bodies:
        old = by_key.get(key(body))
        if old is None:
            result.create.append(body)
            continue
        kept.add(id(old))
        if same(as_body(old), body):
            result.unchanged += 1
        else:
            result.update.append((old, body))
    result.remove = [s for s in ours if id(s) not in kept]
    return result


def key(body: dict) -> tuple:
    return body["portalId"], body["subscriptionType"], body.get("objectTypeId")


def same(old: dict, new: dict) -> bool:
    """Whether a subscription already says what `new` asks (lists compared as sets: their
    order means nothing; ids compared as text: HubSpot's int64s may come back as strings)."""
    fields = set(old) | set(new)
    return all(_as_set(old.get(name)) == _as_set(new.get(name)) for name in fields)


def _as_set(value: object) -> object:
    return frozenset(map(str, value)) if isinstance(value, list) else value


def as_body(subscription: Subscription) -> dict:
    """A listed subscription as the POST body that would make it (the fields its kind
    takes: docs/hubspot-api.md#webhooks-journal)."""
    body = {"subscriptionType": subscription.subscription_type,
            "portalId": subscription.portal_id, "actions": list(subscription.actions)}
    kind = subscription.subscription_type
    if kind != LIST_MEMBERSHIP:
        body["objectTypeId"] = subscription.object_type_id
    if kind in (OBJECT, ASSOCIATION, LIST_MEMBERSHIP):
        body["objectIds"] = list(subscription.object_ids)
    if kind == OBJECT:
        body["properties"] = list(subscription.properties)
    if kind == ASSOCIATION:
        body["associatedObjectTypeIds"] = list(subscription.associated_object_type_ids)
    if kind == LIST_MEMBERSHIP:
        body["listIds"] = list(subscription.list_ids)
    return body


def describe(body: dict, labels: dict[str, str] | None = None) -> str:
    """`OBJECT contacts (0-1)`, `ASSOCIATION deals (0-3) -> 0-1, 0-2`, `LIST_MEMBERSHIP`."""
    type_id = body.get("objectTypeId")
    text = body["subscriptionType"]
    if type_id:
        name = catalog.OBJECT_TYPE_NAMES.get(type_id, "custom")
        text += f" {(labels or {}).get(type_id) or f'{name} ({type_id})'}"
    if body.get("associatedObjectTypeIds"):
        text += f" -> {', '.join(body['associatedObjectTypeIds'])}"
    return text


def read_plan(journal: HubSpotClient, crm: HubSpotClient, types: list[MirroredType] | None
              = None) -> tuple[Plan, list[MirroredType]]:
    """What set-up would do now: one GET of the app's subscriptions (and, through the CRM
    client, the custom types and the portal when HUBSPOT_PORTAL_ID is unset)."""
    types = mirrored_types(crm) if types is None else types
    portal = mirrored_portal(crm)
    listed = journal.request("GET", journal.paths.journal_subscriptions(), shape=Subscriptions)
    todo = plan(list(listed.results), wanted(portal, types), portal)
    todo.labels = {entry.type_id: entry.label for entry in types if entry.label}
    return todo, types


def carry_out(journal: HubSpotClient, todo: Plan) -> None:
    """Create and update (HubSpot's POST is an upsert), then remove."""
    path = journal.paths.journal_subscriptions()
    for body in [*todo.create, *(body for _, body in todo.update)]:
        journal.request("POST", path, json=body, shape=Subscription)
    for old in todo.remove:
        journal.request("DELETE", journal.paths.journal_subscription(old.id), shape=Deleted)


def record_setup(types: list[MirroredType], portal: int | None = None) -> None:
    """The JournalState row says the journal is set up, for these types (by name) and
    portal (the reader's `installPortalId`): created if missing; its read position is never
    touched here."""
    names = sorted(entry.name for entry in types)
    with transaction.atomic():
        JournalState.objects.get_or_create(key=STATE_KEY)
        JournalState.objects.filter(key=STATE_KEY).update(
            subscribed_types=names, set_up_at=timezone.now(), portal_id=portal)


def set_up(journal: HubSpotClient, crm: HubSpotClient, *, dry_run: bool = False,
           types: list[MirroredType] | None = None) -> Plan:
    """Make the app's subscriptions the ones the mirror needs; the plan carried out (a dry
    run: only read, nothing written)."""
    todo, types = read_plan(journal, crm, types)
    if not dry_run:
        carry_out(journal, todo)
        record_setup(types, mirrored_portal(crm))  # asked once per client: no request
    return todo
