"""Associations between records (docs/hubspot-api.md#associations: the v3 and v4 shapes).

Generated links are arithmetic, so they cost no memory and are computable from either side:
a child record i (e.g. a contact) links to parent (i*a + b) mod P (e.g. a company) when a
cheap hash of i says so; the children of parent j are i0, i0+P, i0+2P, ... with
i0 = (j - b) * a^-1 mod P. Links created or removed through the API live in a sparse
override store (`AssociationOverrides`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from math import gcd


@dataclass(frozen=True)
class AssocType:
    category: str  # HUBSPOT_DEFINED | USER_DEFINED
    type_id: int
    label: str | None
    v3_name: str  # the `type` string of the v3 inline shape, e.g. "contact_to_company"

    def v4(self) -> dict:
        return {"category": self.category, "typeId": self.type_id, "label": self.label}


def _hd(type_id: int, frm: str, to: str, label: str | None = None, unlabeled=False):
    suffix = "_unlabeled" if unlabeled else ""
    return AssocType("HUBSPOT_DEFINED", type_id, label, f"{frm}_to_{to}{suffix}")


def _ud(type_id: int, label: str | None, frm: str, to: str) -> AssocType:
    name = label.lower().replace(" ", "_") if label else f"{frm}_to_{to}"
    return AssocType("USER_DEFINED", type_id, label, name)


@dataclass(frozen=True)
class Link:
    """A generated many-to-one association from `child` records to `parent` records."""

    child: str
    parent: str
    pct: int  # share of child records that have the link
    fwd: tuple[AssocType, ...]  # child -> parent association types
    back: tuple[AssocType, ...]  # parent -> child
    salt: int
    extra_pct: int = 0  # share of links that also carry a user-defined label
    extra_fwd: AssocType | None = None
    extra_back: AssocType | None = None


def _eng_links(plural: str, sing: str, ids: tuple[int, ...], salt: int) -> list[Link]:
    c2e, e2c, co2e, e2co, d2e, e2d = ids
    return [
        Link(plural, "contacts", 95, (_hd(e2c, sing, "contact"),), (_hd(c2e, "contact", sing),),
             salt),
        Link(plural, "companies", 40, (_hd(e2co, sing, "company"),),
             (_hd(co2e, "company", sing),), salt + 1),
        Link(plural, "deals", 20, (_hd(e2d, sing, "deal"),), (_hd(d2e, "deal", sing),), salt + 2),
    ]


def _ticket_links() -> list[Link]:
    """Each engagement type's links to tickets (ENGAGEMENT_TO_TICKET, TICKET_TO_ENGAGEMENT in
    the SDK's `hubspot/crm/association_type.py`: call 220/219, email 224/223, meeting
    226/225, note 228/227, task 230/229)."""
    kinds = (("calls", "call", 220, 219), ("emails", "email", 224, 223),
             ("meetings", "meeting", 226, 225), ("notes", "note", 228, 227),
             ("tasks", "task", 230, 229))
    return [Link(plural, "tickets", 20, (_hd(fwd, sing, "ticket"),), (_hd(back, "ticket", sing),),
                 270 + k) for k, (plural, sing, fwd, back) in enumerate(kinds)]


def _to(child: str, sing: str, salt: int, *targets: tuple) -> list[Link]:
    """`child` records each linked to one record of every target: (target plural, target
    singular, share %, child -> target type id, target -> child type id)."""
    return [Link(child, plural, pct, (_hd(fwd, sing, one),), (_hd(back, one, sing),), salt + k)
            for k, (plural, one, pct, fwd, back) in enumerate(targets)]


def _other_links() -> list[Link]:
    """The other standard objects (schemas.other_standard_types). Type ids: HubSpot's Python
    SDK (`hubspot/crm/association_type.py`, e.g. QUOTE_TO_DEAL = 64, DEAL_TO_QUOTE = 63);
    the reverse lead links (579, 607, 609) are *choice*: the SDK lists only lead -> x."""
    c, co, d = ("contacts", "contact"), ("companies", "company"), ("deals", "deal")
    lead_contact = Link("leads", "contacts", 95,
                        (_hd(578, "lead", "contact", "Primary"),
                         _hd(608, "lead", "contact", unlabeled=True)),
                        (_hd(579, "contact", "lead", "Primary"),
                         _hd(607, "contact", "lead", unlabeled=True)), 210)
    return [
        *_to("quotes", "quote", 100, (*c, 80, 69, 70), (*co, 70, 71, 72), (*d, 90, 64, 63)),
        *_eng_links("communications", "communication", (82, 81, 88, 87, 86, 85), 110),
        *_eng_links("postal_mail", "postal_mail", (454, 453, 460, 459, 458, 457), 120),
        *_to("feedback_submissions", "feedback_submission", 130, (*c, 90, 98, 97),
             ("tickets", "ticket", 40, 100, 99)),
        *_to("invoices", "invoice", 140, (*c, 90, 177, 178), (*co, 80, 179, 180),
             (*d, 60, 175, 176)),
        *_to("subscriptions", "subscription", 150, (*c, 90, 295, 296), (*co, 80, 297, 298),
             (*d, 50, 299, 300)),
        *_to("discounts", "discount", 160, ("quotes", "quote", 60, 361, 362)),
        *_to("fees", "fee", 170, ("quotes", "quote", 40, 363, 364)),
        *_to("taxes", "tax", 180, ("quotes", "quote", 50, 365, 366)),
        *_to("commerce_payments", "payment", 190, (*c, 90, 387, 388), (*co, 60, 389, 390),
             ("invoices", "invoice", 70, 542, 541)),
        *_to("orders", "order", 200, (*c, 95, 507, 508), (*co, 50, 509, 510),
             (*d, 40, 512, 511)),
        lead_contact,
        *_to("leads", "lead", 211, (*co, 70, 610, 609)),
        *_to("carts", "cart", 220, (*c, 90, 586, 587), ("orders", "order", 30, 592, 593)),
        *_to("services", "service", 230, (*c, 70, 798, 799), (*co, 80, 792, 793),
             (*d, 40, 794, 795)),
        *_to("courses", "course", 240, (*c, 90, 860, 861), (*co, 40, 938, 939)),
        *_to("listings", "listing", 250, (*c, 70, 882, 883), (*co, 30, 884, 885),
             (*d, 40, 886, 887)),
        *_to("appointments", "appointment", 260, (*c, 95, 906, 907), (*co, 40, 908, 909),
             (*d, 20, 944, 945)),
    ]


# HubSpot's default association type ids where known (docs/hubspot-api.md#associations, partly [?]).
LINKS: list[Link] = [
    Link("contacts", "companies", 90,
         (_hd(1, "contact", "company", "Primary"), _hd(279, "contact", "company", unlabeled=True)),
         (_hd(2, "company", "contact", "Primary"), _hd(280, "company", "contact", unlabeled=True)),
         11, 10, _ud(101, "Billing contact", "contact", "company"),
         _ud(102, "Billing contact", "company", "contact")),
    Link("deals", "companies", 85,
         (_hd(5, "deal", "company", "Primary"), _hd(341, "deal", "company", unlabeled=True)),
         (_hd(6, "company", "deal", "Primary"), _hd(342, "company", "deal", unlabeled=True)), 12),
    Link("deals", "contacts", 85, (_hd(3, "deal", "contact"),), (_hd(4, "contact", "deal"),), 13,
         20, _ud(103, "Decision maker", "deal", "contact"),
         _ud(104, "Decision maker", "contact", "deal")),
    Link("tickets", "contacts", 90, (_hd(16, "ticket", "contact"),),
         (_hd(15, "contact", "ticket"),), 14),
    Link("tickets", "companies", 60, (_hd(26, "ticket", "company"),),
         (_hd(25, "company", "ticket"),), 15),
    Link("tickets", "deals", 30, (_hd(28, "ticket", "deal"),), (_hd(27, "deal", "ticket"),), 16),
    Link("line_items", "deals", 100, (_hd(20, "line_item", "deal"),),
         (_hd(19, "deal", "line_item"),), 17),
    *_eng_links("calls", "call", (193, 194, 181, 182, 205, 206), 20),
    *_eng_links("emails", "email", (197, 198, 185, 186, 209, 210), 30),
    *_eng_links("meetings", "meeting", (199, 200, 187, 188, 211, 212), 40),
    *_eng_links("notes", "note", (201, 202, 189, 190, 213, 214), 50),
    *_eng_links("tasks", "task", (203, 204, 191, 192, 215, 216), 60),
    # Engagements on tickets (the service inbox's calls, emails …): fewer than on the other
    # records; salts of their own, so the links above stay as they were.
    *_ticket_links(),
    Link("pets", "contacts", 90, (_ud(400, None, "pet", "contact"),),
         (_ud(401, None, "contact", "pet"),), 70),
    *_other_links(),
]

_PRIMES = (7919, 104_729, 1_299_709, 15_485_863, 3, 5, 7, 11, 13)


def _hit(i: int, salt: int, pct: int) -> bool:
    """Deterministic `pct`% choice for index i (multiplicative hash; cheap)."""
    return ((i * 2_654_435_761 + salt * 40_503) >> 7) % 100 < pct


class BaseLink:
    """One `Link` laid over concrete record counts: child index <-> parent index."""

    def __init__(self, link: Link, n_child: int, n_parent: int, seed: int) -> None:
        self.link, self.n_child, self.n_parent = link, n_child, n_parent
        self.salt = link.salt * 1_000 + seed
        p = max(1, n_parent)
        # contacts -> companies stays "contact i -> company i mod C" so it is easy to reason about
        self.a = 1 if link.salt == 11 else next((q for q in _PRIMES if gcd(q, p) == 1), 1)
        self.b = 0 if link.salt == 11 else (seed * 31 + link.salt) % p
        self.a_inv = pow(self.a, -1, p) if p > 1 else 0

    def parent_of(self, i: int) -> int | None:
        if self.n_parent <= 0 or i >= self.n_child or not _hit(i, self.salt, self.link.pct):
            return None
        return (i * self.a + self.b) % self.n_parent

    def has_extra(self, i: int) -> bool:
        return self.link.extra_pct > 0 and _hit(i, self.salt + 7, self.link.extra_pct)

    def children_of(self, j: int) -> Iterator[int]:
        if self.n_parent <= 0 or j >= self.n_parent:
            return
        i = ((j - self.b) * self.a_inv) % self.n_parent if self.n_parent > 1 else 0
        while i < self.n_child:
            if _hit(i, self.salt, self.link.pct):
                yield i
            i += self.n_parent

    def types(self, forward: bool, i_child: int) -> tuple[AssocType, ...]:
        base = self.link.fwd if forward else self.link.back
        if self.has_extra(i_child):
            extra = self.link.extra_fwd if forward else self.link.extra_back
            return (*base, extra)
        return base


def _singular(type_name: str) -> str:
    if type_name == "companies":
        return "company"
    return type_name[:-1] if type_name.endswith("s") else type_name


def default_types(frm: str, to: str, frm_single: str = "", to_single: str = ""
                  ) -> tuple[AssocType, ...]:
    """The association type(s) `PUT .../associations/default/...` creates between two types:
    the unlabeled one(s), e.g. 279 for contact -> company."""
    for link in LINKS:
        if (link.child, link.parent) in ((frm, to), (to, frm)):
            types = link.fwd if link.child == frm else link.back
            return tuple(t for t in types if t.label is None) or types
    fs, ts = frm_single or _singular(frm), to_single or _singular(to)
    type_id = 500 + (sum(map(ord, frm + ":" + to)) % 400)
    return (_hd(type_id, fs, ts),)


def labels(frm: str, to: str) -> list[AssocType]:
    """All association types defined from `frm` to `to` (for the v4 labels endpoint)."""
    out: list[AssocType] = []
    for link in LINKS:
        if (link.child, link.parent) == (frm, to):
            out += [*link.fwd, *([link.extra_fwd] if link.extra_fwd else [])]
        elif (link.child, link.parent) == (to, frm):
            out += [*link.back, *([link.extra_back] if link.extra_back else [])]
    return out or list(default_types(frm, to))


class AssociationOverrides:
    """Sparse store of links created or removed through the API, kept in both directions.

    `observer(a, ai, b, bi, fwd, back, removed)` (the webhooks) is called before each change,
    while the links as they were can still be read; association changes are not store ops."""

    def __init__(self) -> None:
        self.added: dict[tuple[str, int, str], dict[int, tuple[AssocType, ...]]] = {}
        self.removed: set[tuple[str, int, str, int]] = set()
        self.observer: Callable[..., None] | None = None

    def add(self, a: str, ai: int, b: str, bi: int, fwd, back) -> None:
        if self.observer is not None:
            self.observer(a, ai, b, bi, fwd, back, removed=False)
        self.added.setdefault((a, ai, b), {})[bi] = fwd
        self.added.setdefault((b, bi, a), {})[ai] = back
        self.removed.discard((a, ai, b, bi))
        self.removed.discard((b, bi, a, ai))

    def remove(self, a: str, ai: int, b: str, bi: int) -> None:
        if self.observer is not None:
            self.observer(a, ai, b, bi, (), (), removed=True)
        self.added.get((a, ai, b), {}).pop(bi, None)
        self.added.get((b, bi, a), {}).pop(ai, None)
        self.removed.add((a, ai, b, bi))
        self.removed.add((b, bi, a, ai))
