"""Every standard object type HubSpot documents, so that a path naming one is answered the way
HubSpot answers it (issue 15, part 4: "fidelity for real clients").

HubSpot resolves an `{objectType}` path segment, and each name in `associations=`, to any
documented standard object by plural name, singular name or `0-x` type id. Open-source
connectors rely on that: MeltanoLabs' tap-hubspot reads `/crm/v3/properties/communications`,
dlt lists contacts with `associations=deals,products,tickets,quotes`, Airbyte reads
`/crm/v3/objects/leads`. Before this module those answered 400 "Unable to infer object type".

A type that `schemas.builtin_types()` already seeds (most of them, with data:
`schemas.other_standard_types`) keeps its data: this table is the floor, so every name here
resolves whatever the seeded set is. Every other documented type is added as an existing type
with no records and only the three system properties (`hs_object_id`, `hs_createdate`,
`hs_lastmodifieddate`): HubSpot answers an account with no such records with an empty page
and the type's definitions, never 400/404.

Source of names and ids: the object table in HubSpot's "Using the object APIs" guide
(developers.hubspot.com/docs/guides/crm/using-object-apis) and the object-definition pages
for the API names (`commerce_payments`, `goal_targets`, `postal_mail`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .properties import assemble
from .schemas import ObjectType, TypeRegistry


@dataclass(frozen=True)
class StandardType:
    name: str  # plural API name
    singular: str
    type_id: str | None  # None: HubSpot documents no `0-x` id (the name stands in for it)
    scope: str = ""  # `ObjectType.scope`; empty: auth.object_scope's fallback


# The documented standard objects beyond the ones seeded with data. HubSpot's table also lists
# contacts, companies, deals, tickets, products, line items and the five engagements.
STANDARD_TYPES = (
    StandardType("appointments", "appointment", "0-421"),
    StandardType("carts", "cart", "0-142"),
    StandardType("commerce_payments", "commerce_payment", "0-101"),
    StandardType("communications", "communication", "0-18"),
    StandardType("courses", "course", "0-410"),
    StandardType("discounts", "discount", "0-84"),
    StandardType("feedback_submissions", "feedback_submission", "0-19"),
    StandardType("fees", "fee", "0-85"),
    StandardType("goal_targets", "goal_target", "0-74"),
    StandardType("invoices", "invoice", "0-53"),
    StandardType("leads", "lead", "0-136"),
    StandardType("listings", "listing", "0-420"),
    StandardType("marketing_events", "marketing_event", "0-54", "crm.objects.marketing_events"),
    StandardType("orders", "order", "0-123"),
    StandardType("postal_mail", "postal_mail", "0-116"),
    StandardType("projects", "project", "0-970"),
    StandardType("quotes", "quote", "0-14"),
    StandardType("services", "service", "0-162"),
    StandardType("subscriptions", "subscription", "0-69"),
    StandardType("taxes", "tax", "0-86"),
    StandardType("users", "user", "0-115"),
    # Deal splits are read as an object type by Airbyte (`/crm/v3/objects/deal_split`,
    # `/properties/v2/deal_split/properties`); HubSpot documents no `0-x` id for them.
    # Airbyte's deal_splits stream asks for `crm.objects.deals.read`.
    StandardType("deal_splits", "deal_split", None, "crm.objects.deals"),
)

# Other names the guide uses for the same objects (the guide's table says "Goals" and
# "Payments"; the API names are `goal_targets` and `commerce_payments`).
EXTRA_ALIASES = {"goals": "goal_targets", "goal": "goal_targets",
                 "payments": "commerce_payments", "payment": "commerce_payments"}

FIRST_ID_BASE = 100_000_000_000  # record ids of these types: base + k * 10^9 + 1, ...
CREATED, MODIFIED = "hs_createdate", "hs_lastmodifieddate"  # as quotes and newer objects use


class StandardRegistry(TypeRegistry):
    """A `TypeRegistry` that also knows the guide's other names and `p_{name}` for custom
    objects (docs/hubspot-api.md#object-types lists `p_{name}` among the accepted spellings)."""

    def resolve(self, token: str) -> ObjectType | None:
        found = super().resolve(token)
        if found is not None:
            return found
        key = str(token).strip().lower()
        if key in EXTRA_ALIASES:
            return super().resolve(EXTRA_ALIASES[key])
        if key.startswith("p_"):
            custom = super().resolve(key[2:])
            return custom if custom is not None and custom.custom else None
        return None


def registry(seeded: list[ObjectType]) -> StandardRegistry:
    """The seeded types plus every documented standard type they do not already cover."""
    out = StandardRegistry(seeded)
    for k, std in enumerate(STANDARD_TYPES):
        if not _known(out, std):
            out.add(empty_type(std, FIRST_ID_BASE + k * 1_000_000_000))
    return out


def _known(reg: TypeRegistry, std: StandardType) -> bool:
    # Another module may seed the type under the same name or id: then it wins.
    names = [std.name, std.singular] + ([std.type_id] if std.type_id else [])
    return any(TypeRegistry.resolve(reg, n) is not None for n in names)


def empty_type(std: StandardType, id_base: int) -> ObjectType:
    """A type with no generated records and only the system properties."""
    props = assemble(CREATED, MODIFIED, f"{std.singular}information", [], [])
    props = [p for p in props if not p.custom]  # no admin-made custom properties on these
    label = std.singular.replace("_", " ")
    otype = ObjectType(std.name, std.type_id or std.name, std.singular, std.singular.upper(),
                       CREATED, MODIFIED, (), props, id_base, lambda n: 0, (), "hs_object_id",
                       labels=(label.capitalize(), std.name.replace("_", " ").capitalize()))
    otype.scope = std.scope
    return otype
