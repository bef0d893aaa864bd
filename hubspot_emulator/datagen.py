"""Deterministic, lazily generated portal data: a record is a pure function of
(seed, object type, index), so a million contacts cost no memory and reseeding is instant.

Timeline (per type, n records): record i is created at START + 2*g*i + jitter and last
modified at START + span/2 + g*i + jitter, with g = span / 2n, span = 730 days ending at
FIXED_EPOCH_MS. Both are strictly ascending with i, and modified >= created, so id order,
creation order and last-modified order agree until something is written.

Archived records: exactly one per block of 100 indices (none in a trailing block of < 10).
"""

from __future__ import annotations

import hashlib
import struct
import unicodedata
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache

from . import words as W
from .associations import LINKS, BaseLink
from .properties import PropDef
from .schemas import CLOSED_WON, DEAL_STAGES, TICKET_STAGES, ObjectType, active_owner_ids
from .timeutil import DAY_MS, FIXED_EPOCH_MS, iso_date, iso_ms

SPAN_MS = 730 * DAY_MS
START_MS = FIXED_EPOCH_MS - SPAN_MS
ARCHIVE_BLOCK = 100
_OWNERS = tuple(active_owner_ids())
_CACHE_SIZE = 4096
_MASK64 = (1 << 64) - 1
_POOL = 997

Gen = Callable[["TypeData", int, int, dict], "str | None"]


@lru_cache(maxsize=8192)
def _ascii(name: str) -> str:
    """A lowercase ASCII slug for emails and domains ("Nguyễn" -> "nguyen")."""
    folded = unicodedata.normalize("NFKD", name.lower().replace("ø", "o").replace("ł", "l"))
    return "".join(c for c in folded if c.isascii() and c.isalnum())


class TypeData:
    """Generated records of one object type: values, timestamps, archived flags."""

    def __init__(self, portal: PortalData, otype: ObjectType, n: int) -> None:
        self.portal, self.otype, self.n = portal, otype, n
        self.key = hashlib.sha256(f"{portal.seed}:{otype.type_id}".encode()).digest()[:16]
        self.salt = int.from_bytes(self.key[:8], "little")
        self.g = SPAN_MS // (2 * n) if n else 1
        props = [p for p in otype.live_props if p.gen]
        # Values that depend only on a random number come from a 256-entry table per property,
        # indexed by one random byte (fast); the others (dates relative to creation,
        # cross-record values) are computed per record from a random 32-bit word.
        tab = [p for p in props if _tabulable(p)]
        fns = [p for p in props if not _tabulable(p)]
        self.table_gens = [(p.name, k, p.null_pct, _gen_fn(p)) for k, p in enumerate(tab)]
        self.fn_gens = [(p.name, k, p.null_pct, _gen_fn(p)) for k, p in enumerate(fns)]
        self.gen_by_name = {g[0]: g for g in self.table_gens + self.fn_gens}
        self.table_pos = {g[0]: g[1] for g in self.table_gens}
        self._table_names = [g[0] for g in self.table_gens]
        self._tables: list[list] | None = None
        self._words = struct.Struct(f"<{len(fns)}I")
        self._digest_len = len(tab) + self._words.size
        self._cache: OrderedDict[int, dict] = OrderedDict()
        self._archived_list: list[int] | None = None
        self._comments: list[str] | None = None
        self._created_memo = (-1, 0)
        self.company_memo = (-1, None)

    # -- randomness and timestamps ------------------------------------------------------

    def rand(self, i: int) -> tuple[bytes, tuple[int, ...]]:
        """Record i's randomness: one byte per tabulated property, one word per other one."""
        digest = hashlib.shake_128(self.key + i.to_bytes(8, "little")).digest(self._digest_len)
        return digest, self._words.unpack_from(digest, len(self._table_names))

    def jitter(self, i: int, salt: int, bound: int) -> int:
        """A cheap deterministic number in [0, bound) (multiplicative hash, not crypto)."""
        if bound <= 1:
            return 0
        x = (i * 0x9E3779B97F4A7C15 + salt * 0xD1B54A32D192ED03 + self.salt) & _MASK64
        x = ((x ^ (x >> 29)) * 0xBF58476D1CE4E5B9) & _MASK64
        return (x ^ (x >> 32)) % bound

    def created_ms(self, i: int) -> int:
        memo = self._created_memo  # several values of one record derive from its creation
        if memo[0] == i:
            return memo[1]
        ms = START_MS + 2 * self.g * i + self.jitter(i, 1, self.g)
        self._created_memo = (i, ms)
        return ms

    def modified_ms(self, i: int) -> int:
        return START_MS + SPAN_MS // 2 + self.g * i + self.jitter(i, 2, max(1, self.g // 2))

    def archived_at_ms(self, i: int) -> int:
        return self.modified_ms(i) + 3_600_000 + self.jitter(i, 3, 86_400_000)

    # -- archived flags -----------------------------------------------------------------

    def archived_in_block(self, block: int) -> int | None:
        lo = block * ARCHIVE_BLOCK
        size = min(ARCHIVE_BLOCK, self.n - lo)
        if size < 10:
            return None
        return lo + self.jitter(block, 4, size)

    def is_archived(self, i: int) -> bool:
        return i < self.n and self.archived_in_block(i // ARCHIVE_BLOCK) == i

    def archived_list(self) -> list[int]:
        """All generated archived indices, ascending (computed once, ~1% of n)."""
        if self._archived_list is None:
            blocks = (self.n + ARCHIVE_BLOCK - 1) // ARCHIVE_BLOCK
            found = (self.archived_in_block(b) for b in range(blocks))
            self._archived_list = [i for i in found if i is not None]
        return self._archived_list

    def archived_count(self, lo: int, hi: int) -> int:
        arch = self.archived_list()
        return bisect_left(arch, hi) - bisect_left(arch, lo)

    # -- values -------------------------------------------------------------------------

    def record(self, i: int) -> dict[str, str | None]:
        """All generated property values of record i (system timestamps excluded)."""
        rec = self._cache.get(i)
        if rec is not None:
            return rec
        digest, words = self.rand(i)
        tables = self._tables or self._build_tables()
        rec = dict(zip(self._table_names, map(list.__getitem__, tables, digest)))  # noqa: B905
        for name, k, null_pct, fn in self.fn_gens:
            v = words[k]
            rec[name] = None if v % 100 < null_pct else fn(self, i, v // 100, rec)
        self._cache[i] = rec
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return rec

    def _build_tables(self) -> list[list]:
        """Per tabulated property: its value (or None) for each of the 256 byte values."""
        self._tables = [[None if t * 100 // 256 < null_pct else fn(self, 0, _spread(t), {})
                         for t in range(256)] for _name, _k, null_pct, fn in self.table_gens]
        return self._tables

    def table_value(self, name: str, byte: int) -> str | None:
        tables = self._tables or self._build_tables()
        return tables[self.table_pos[name]][byte]

    def comment_pool(self) -> list[str]:
        """Free-text values are drawn from a per-type pool (generating prose per record is slow)."""
        if self._comments is None:
            self._comments = [_make_comment(self.jitter(k, 11, 1 << 40)) for k in range(_POOL)]
        return self._comments

    def value(self, i: int, name: str) -> str | None:
        """One generated value, computing only what it depends on (cheap for filters)."""
        rec = self._cache.get(i)
        if rec is not None:
            return rec.get(name)
        return _LazyRecord(self, i, self.rand(i)).get(name)


class _LazyRecord(dict):
    """A record whose values are generated on first access (derived values call `get`)."""

    def __init__(self, td: TypeData, i: int, r: tuple[bytes, tuple[int, ...]]) -> None:
        super().__init__()
        self.td, self.i, self.r = td, i, r

    def get(self, name, default=None):
        if name not in self:
            spec = self.td.gen_by_name.get(name)
            if spec is None:
                return default
            _name, k, null_pct, fn = spec
            digest, words = self.r
            if name in self.td.table_pos:
                self[name] = self.td.table_value(name, digest[k])
            else:
                v = words[k]
                self[name] = None if v % 100 < null_pct else fn(self.td, self.i, v // 100, self)
        return self[name]


_TABLE_KINDS = {"opt", "multi", "int", "num", "bool", "words", "owner", "const"}
# Derived values that depend on nothing but the random word (safe to tabulate).
_TABLE_FNS = {"firstname", "lastname", "phone", "zip", "comment", "street", "digits4",
              "budget_code", "jira_key", "user_id", "email_subject", "note_body", "email_html",
              "deal_pipeline", "ticket_pipeline", "product_name", "source_url"}


def _tabulable(p: PropDef) -> bool:
    return p.gen[0] in _TABLE_KINDS or (p.gen[0] == "fn" and p.gen[1] in _TABLE_FNS)


def _spread(t: int) -> int:
    """Spread a table slot over the generator's input range (as v = word // 100 would be)."""
    return ((t * 2_654_435_761 + 0x5BD1E995) & 0xFFFFFFFF) // 100


def _gen_fn(p: PropDef) -> Gen:
    kind, args = p.gen[0], p.gen[1:]
    if kind == "opt":
        opts = p.options
        return lambda td, i, v, rec: opts[v % len(opts)]
    if kind == "multi":
        return _multi(p.options)
    if kind == "int":
        lo, hi = args
        return lambda td, i, v, rec: str(lo + v % (hi - lo + 1))
    if kind == "num":
        return _num(*args)
    if kind == "bool":
        pct = args[0]
        return lambda td, i, v, rec: "true" if v % 100 < pct else "false"
    if kind == "words":
        table, count = W.TABLES[args[0]], args[1]
        if count == 1:
            return lambda td, i, v, rec: table[v % len(table)]
        return lambda td, i, v, rec: " ".join(
            table[(v >> (5 * k)) % len(table)] for k in range(count))
    if kind == "date":
        lo, hi = args
        return lambda td, i, v, rec: iso_date(td.created_ms(i) + (lo + v % (hi - lo + 1))
                                              * DAY_MS)
    if kind == "datetime":
        lo, hi = args
        span = max(1, (hi - lo) * DAY_MS)
        return lambda td, i, v, rec: iso_ms(td.created_ms(i) + lo * DAY_MS + (v * 7919) % span)
    if kind == "owner":
        return lambda td, i, v, rec: _OWNERS[v % len(_OWNERS)]
    if kind == "const":
        value = args[0]
        return lambda td, i, v, rec: value
    if kind == "fn":
        return DERIVED[args[0]]
    raise ValueError(f"unknown generator {p.gen!r} for {p.name}")


def _multi(options: tuple[str, ...]) -> Gen:
    def gen(td, i, v, rec):
        picked = [o for k, o in enumerate(options) if (v >> k) & 3 == 0]
        return ";".join(picked or [options[v % len(options)]])
    return gen


def _num(lo: float, hi: float, decimals: int) -> Gen:
    scale = 10 ** decimals

    def gen(td, i, v, rec):
        units = lo * scale + v % int((hi - lo) * scale + 1)
        text = f"{units / scale:.{decimals}f}".rstrip("0").rstrip(".")
        return text or "0"
    return gen


# -- derived values (cross-property and cross-object) ----------------------------------

def _pick(table, v, shift=0):
    return table[(v >> shift) % len(table)]


def _company_index(td: TypeData, i: int) -> int | None:
    memo = td.company_memo  # email, website and company name all ask for it
    if memo[0] != i:
        memo = td.company_memo = (i, td.portal.parent_index(td.otype.name, "companies", i))
    return memo[1]


def company_name_of(companies: TypeData, j: int) -> str:
    """Company j's generated name, from a cheap hash of j so other records can show it."""
    h = companies.jitter(j, 9, 1 << 40)
    name = f"{_pick(W.COMPANY_ADJ, h)} {_pick(W.COMPANY_NOUN, h, 6)}"
    suffix = _pick(W.COMPANY_SUFFIX, h, 12)
    return f"{name} {suffix}" if suffix else name


def company_domain_of(companies: TypeData, j: int) -> str:
    """Company j's domain: unique thanks to the index (lookups and dedup rely on it)."""
    h = companies.jitter(j, 9, 1 << 40)
    slug = _ascii(f"{_pick(W.COMPANY_ADJ, h)}{_pick(W.COMPANY_NOUN, h, 6)}")
    return f"{slug}{j}.{_pick(W.TLDS, h, 20)}"


def _related_company(td: TypeData, i: int, what) -> str | None:
    """A value of the company record i is associated with (for contacts, deals)."""
    if td.otype.name == "companies":
        return what(td, i)
    j = _company_index(td, i)
    return None if j is None else what(td.portal.types["companies"], j)


def _company_name(td, i, v, rec):
    return _related_company(td, i, company_name_of) or f"{_pick(W.COMPANY_ADJ, v)} Freelance"


def _company_domain(td, i, v, rec):
    return _related_company(td, i, company_domain_of)


def _email(td, i, v, rec):
    # Unique per record: the index is part of the local part (lookups by email rely on it).
    first, last = _ascii(rec.get("firstname") or "x"), _ascii(rec.get("lastname") or "y")
    domain = _related_company(td, i, company_domain_of) if v % 5 < 3 else None
    return f"{first}.{last}.{i}@{domain or _pick(W.FREE_MAIL, v, 3)}"


def _phone(td, i, v, rec):
    style = v % 4
    if style == 0:
        return f"+1 {200 + v % 700}-555-{(v >> 4) % 10000:04d}"
    if style == 1:
        return f"+49 30 {(v >> 3) % 10_000_000:07d}"
    if style == 2:
        return f"({200 + v % 700}) 555-{(v >> 5) % 10000:04d}"
    return f"+44 20 7946 {(v >> 2) % 10000:04d}"


def _comment(td, i, v, rec):
    return td.comment_pool()[v % _POOL]


def _make_comment(v: int) -> str:
    n = 4 + v % 14
    text = " ".join(W.WORDS[(v * (k + 3) + k * 7) % len(W.WORDS)] for k in range(n))
    text = text.capitalize() + "."
    if v % 7 == 0:
        text += " " + _pick(W.TRICKY, v, 4)
    return text


def _deal_pipeline(td, i, v, rec):
    return "default" if v % 5 else "8134710"


def _stage_of(pipeline_table, rec_key):
    def gen(td, i, v, rec):
        stages = pipeline_table.get(rec.get(rec_key) or "", next(iter(pipeline_table.values())))
        return stages[v % len(stages)][0]
    return gen


def _stage_prob(td, i, v, rec):
    for stages in DEAL_STAGES.values():
        for sid, _label, prob in stages:
            if sid == rec.get("dealstage"):
                return prob
    return None


def _amount(td, i, v, rec):
    value = 500 + (v % 4000) * 25
    return str(value) if v % 3 else f"{value}.{v % 100:02d}"


def _ticket_subject(td, i, v, rec):
    return f"{_pick(W.TICKET_TOPICS, v)} (#{1000 + i})"


def _product_ref(td, i, v, rec):
    n = td.portal.counts.get("products", 0)
    return str(td.portal.types["products"].otype.id_base + 1 + v % n) if n else None


def _line_amount(td, i, v, rec):
    try:
        total = float(rec.get("quantity")) * float(rec.get("price"))
        return f"{total:.2f}".rstrip("0").rstrip(".")
    except (TypeError, ValueError):
        return None


def _primary_company(td, i, v, rec):
    j = _company_index(td, i)
    return None if j is None else str(td.portal.types["companies"].otype.id_base + 1 + j)


DERIVED: dict[str, Gen] = {
    "firstname": lambda td, i, v, rec: _pick(W.FIRST_NAMES, v),
    "lastname": lambda td, i, v, rec: _pick(W.LAST_NAMES, v),
    "email": _email,
    "email_domain": lambda td, i, v, rec: (rec.get("email") or "@").split("@")[1] or None,
    "phone": _phone,
    "company_name": _company_name,
    "company_domain": _company_domain,
    "company_website": lambda td, i, v, rec: f"https://www.{rec.get('domain')}" if rec.get(
        "domain") else None,
    "website": lambda td, i, v, rec: (f"https://{d}" if (d := _company_domain(td, i, v, rec))
                                      else None),
    "street": lambda td, i, v, rec: (f"{1 + v % 980} {_pick(W.STREETS, v, 4)} "
                                     f"{_pick(W.STREET_KIND, v, 9)}"),
    "zip": lambda td, i, v, rec: f"{v % 100000:05d}",
    "handle": lambda td, i, v, rec: f"{_ascii(rec.get('firstname') or 'acct')}{v % 1000}",
    "linkedin": lambda td, i, v, rec: f"https://www.linkedin.com/company/{i}-{v % 997}",
    "comment": _comment,
    "note_body": lambda td, i, v, rec: f"<p>{_comment(td, i, v, rec)}</p>",
    "email_html": lambda td, i, v, rec: f"<html><body><p>{_comment(td, i, v, rec)}</p></body>"
                                        "</html>",
    "email_subject": lambda td, i, v, rec: f"Re: {_pick(W.WORDS, v)} {_pick(W.WORDS, v, 6)}",
    "email_headers": lambda td, i, v, rec: ('{"from":{"email":"sender@example.com"},'
                                            f'"to":[{{"email":"to{i}@example.com"}}]}}'),
    "external_ref": lambda td, i, v, rec: f"EXT-{td.otype.type_id}-{i:07d}-{v % 4096:03x}",
    "budget_code": lambda td, i, v, rec: f"BC-{v % 10000:04d}",
    "source_url": lambda td, i, v, rec: f"https://files.example.com/{td.otype.name}/{v:x}",
    "referral_code": lambda td, i, v, rec: f"REF{i:x}{v % 1296:03d}".upper(),
    "digits4": lambda td, i, v, rec: f"{v % 10000:04d}",
    "jira_key": lambda td, i, v, rec: f"SUP-{1000 + v % 90000}",
    "user_id": lambda td, i, v, rec: str(8_300_001 + v % 20),
    "primary_company": _primary_company,
    "dealname": lambda td, i, v, rec: (f"{_related_company(td, i, company_name_of) or 'New'} - "
                                       f"{_pick(W.PRODUCT_WORDS, v)}"),
    "amount": _amount,
    "home_amount": lambda td, i, v, rec: rec.get("amount"),
    "closedate": lambda td, i, v, rec: iso_ms(td.created_ms(i) + (10 + v % 170) * DAY_MS),
    "deal_pipeline": _deal_pipeline,
    "deal_stage": _stage_of({k: v for k, v in DEAL_STAGES.items()}, "pipeline"),
    "stage_probability": _stage_prob,
    "is_closed": lambda td, i, v, rec: "true" if _stage_prob(td, i, v, rec) in ("1.0", "0.0")
    else "false",
    "is_closed_won": lambda td, i, v, rec: "true" if rec.get("dealstage") in CLOSED_WON
    else "false",
    "ticket_subject": _ticket_subject,
    "ticket_pipeline": lambda td, i, v, rec: "0" if v % 4 else "9202001",
    "ticket_stage": _stage_of(TICKET_STAGES, "hs_pipeline"),
    "product_name": lambda td, i, v, rec: (f"{_pick(W.PRODUCT_WORDS, v)} "
                                           f"{_pick(W.COMPANY_ADJ, v, 5)}"),
    "sku": lambda td, i, v, rec: f"SKU-{td.otype.type_id[-1]}{i:06d}",
    "product_ref": _product_ref,
    "line_amount": _line_amount,
    # The other standard objects (quotes, invoices, orders …): a display name and a number
    # unique per record, as documents carry them.
    "title": lambda td, i, v, rec: (f"{_pick(W.PRODUCT_WORDS, v)} "
                                    f"{_pick(W.WORDS, v, 5).capitalize()} #{1000 + i}"),
    "doc_number": lambda td, i, v, rec: f"{td.otype.singular[:3].upper()}-{i + 1:06d}",
    "user_email": lambda td, i, v, rec: (f"{_ascii(rec.get('hs_given_name') or 'user')}."
                                         f"{_ascii(rec.get('hs_family_name') or 'x')}.{i}"
                                         "@emulated-portal.example"),
}


class PortalData:
    """All generated data of one portal: per-type `TypeData` and the base association links."""

    def __init__(self, seed: int, n_contacts: int, types: list[ObjectType]) -> None:
        self.seed, self.n_contacts = seed, n_contacts
        self.counts = {t.name: t.share(n_contacts) for t in types}
        self.types = {t.name: TypeData(self, t, self.counts[t.name]) for t in types}
        self.links = [BaseLink(link, self.counts.get(link.child, 0),
                               self.counts.get(link.parent, 0), seed)
                      for link in LINKS if link.child in self.counts and link.parent in self.counts]
        self._by_pair = {(b.link.child, b.link.parent): b for b in self.links}

    def add_type(self, otype: ObjectType) -> None:
        """A custom object type created at run time: it starts with no generated records."""
        self.counts[otype.name] = 0
        self.types[otype.name] = TypeData(self, otype, 0)

    def link(self, child: str, parent: str) -> BaseLink | None:
        return self._by_pair.get((child, parent))

    def parent_index(self, child: str, parent: str, i: int) -> int | None:
        link = self._by_pair.get((child, parent))
        return None if link is None else link.parent_of(i)
