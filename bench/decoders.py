"""Which typed decoder should the HubSpot client use for reply envelopes?

    .venv/bin/python -m bench.decoders

Fetches real list / search / association batch-read replies from an in-process emulator
(stopped before timing: process_time counts every thread), then measures CPU seconds per
1,000 records (best of 5) for (a) today's orjson + .get path, (b) orjson + isinstance checks,
(c) msgspec Structs, (d) pydantic v2 TypeAdapter. Asserts each validating decoder rejects
malformed envelopes and gives the same values as (a) on real pages. Writes
bench/results/decoders.txt.
"""

import datetime
import gc
import platform
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import msgspec
import orjson
import pydantic
import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ingestion.base.chunks import chunked

OUT = Path(__file__).resolve().parent / "results" / "decoders.txt"
RECORDS_PER_KIND, REPEATS = 30_000, 5  # 300 pages of 100 (30 association replies of 1,000)
BUDGET = 0.05 * 0.048  # CPU s per 1,000 records: 5% of a full sync


class ShapeError(ValueError):
    pass


# -- (a) today: orjson + the .get accesses of client.py / catalog.py --------------------------

def _next(d: dict) -> Any:
    return ((d.get("paging") or {}).get("next") or {}).get("after")


def a_list(body: bytes):
    data = orjson.loads(body)
    return data.get("results", []), _next(data)


def a_search(body: bytes):
    data = orjson.loads(body)
    return data.get("results", []), _next(data), data.get("total")


def a_assoc(body: bytes):
    links, afters = [], []
    for r in orjson.loads(body).get("results", []):
        from_id = r["from"]["id"]
        for t in r.get("to", []):
            for k in t.get("associationTypes", []):
                links.append((from_id, t["toObjectId"], k["typeId"], k.get("category"),
                              k.get("label")))
        if after := _next(r):
            afters.append((from_id, after))
    return links, afters


# -- (b) orjson + hand-written checks (type() is, so that true/false are not ints) ------------

def _obj(x: Any, what: str) -> dict:
    if type(x) is not dict:
        raise ShapeError(f"{what} is not an object")
    return x


def _is(x: Any, t: type, what: str) -> Any:
    if type(x) is not t:
        raise ShapeError(f"{what} is not {t.__name__}")
    return x


def _after(d: dict) -> str | None:
    if (paging := d.get("paging")) is None or (nxt := _obj(paging, "paging").get("next")) is None:
        return None
    after = _obj(nxt, "paging.next").get("after")
    if type(after) is not str or not after:
        raise ShapeError("paging.next.after is not a non-empty string")
    return after


def _results(data: Any, item: str = "result") -> list:
    results = _is(_obj(data, "reply").get("results"), list, "results")
    for r in results:
        _obj(r, item)
    return results


def b_list(body: bytes):
    data = orjson.loads(body)
    return _results(data), _after(data)


def b_search(body: bytes):
    data = orjson.loads(body)
    return _results(data), _after(data), _is(data.get("total"), int, "total")


def b_assoc(body: bytes):
    links, afters = [], []
    for r in _results(orjson.loads(body)):
        from_id = _is(_obj(r.get("from"), "from").get("id"), str, "from.id")
        for t in _is(r.get("to"), list, "to"):
            to_id = _is(_obj(t, "to[]").get("toObjectId"), int, "toObjectId")
            for k in _is(t.get("associationTypes"), list, "associationTypes"):
                label = _obj(k, "associationType").get("label")
                if label is not None and type(label) is not str:
                    raise ShapeError("label is not a string")
                links.append((from_id, to_id, _is(k.get("typeId"), int, "typeId"),
                              _is(k.get("category"), str, "category"), label))
        if after := _after(r):
            afters.append((from_id, after))
    return links, afters


# -- (c) msgspec / (d) pydantic: the same envelopes, extra keys ignored -----------------------

def msgspec_decoders(item: Any) -> dict:
    class Next(msgspec.Struct):
        after: Annotated[str, msgspec.Meta(min_length=1)]

    class Paging(msgspec.Struct):
        next: Next | None = None

    class ListPage(msgspec.Struct):
        results: list[item]
        paging: Paging | None = None

    class SearchPage(ListPage, kw_only=True):
        total: int

    class Kind(msgspec.Struct):
        category: str
        typeId: int
        label: str | None = None

    class Target(msgspec.Struct):
        toObjectId: int
        associationTypes: list[Kind]

    class From(msgspec.Struct):
        id: str

    class AssocResult(msgspec.Struct):
        from_: From = msgspec.field(name="from")
        to: list[Target]
        paging: Paging | None = None

    class AssocReply(msgspec.Struct):
        results: list[AssocResult]

    return {"list": msgspec.json.Decoder(ListPage).decode,
            "search": msgspec.json.Decoder(SearchPage).decode,
            "assoc": msgspec.json.Decoder(AssocReply).decode}


def pydantic_decoders(item: Any) -> dict:
    class M(BaseModel):
        model_config = ConfigDict(strict=True)  # lax mode would take "5" as total=5

    class Next(M):
        after: Annotated[str, Field(min_length=1)]

    class Paging(M):
        next: Next | None = None

    class ListPage(M):
        results: list[item]
        paging: Paging | None = None

    class SearchPage(ListPage):
        total: int

    class Kind(M):
        category: str
        typeId: int
        label: str | None = None

    class Target(M):
        toObjectId: int
        associationTypes: list[Kind]

    class From(M):
        id: str

    class AssocResult(M):
        from_: From = Field(alias="from")
        to: list[Target]
        paging: Paging | None = None

    class AssocReply(M):
        results: list[AssocResult]

    return {k: TypeAdapter(t).validate_json for k, t in
            (("list", ListPage), ("search", SearchPage), ("assoc", AssocReply))}


def typed(decode: dict) -> dict:
    """Wrap Struct/model decoders so they return what (a) returns."""
    def after(x: Any) -> str | None:
        return x.paging.next.after if x.paging and x.paging.next else None

    def assoc(body: bytes):
        links, afters = [], []
        for r in decode["assoc"](body).results:
            for t in r.to:
                for k in t.associationTypes:
                    links.append((r.from_.id, t.toObjectId, k.typeId, k.category, k.label))
            if a := after(r):
                afters.append((r.from_.id, a))
        return links, afters

    def list_(body: bytes):
        page = decode["list"](body)
        return page.results, after(page)

    def search(body: bytes):
        page = decode["search"](body)
        return page.results, after(page), page.total

    return {"list": list_, "search": search, "assoc": assoc}


DECODERS = {
    "(a) orjson + .get (today)": {"list": a_list, "search": a_search, "assoc": a_assoc},
    "(b) orjson + isinstance": {"list": b_list, "search": b_search, "assoc": b_assoc},
    "(c) msgspec, list[dict]": typed(msgspec_decoders(dict[str, Any])),
    "(c) msgspec, list[Any]": typed(msgspec_decoders(Any)),
    "(d) pydantic, list[dict]": typed(pydantic_decoders(dict[str, Any])),
    "(d) pydantic, list[Any]": typed(pydantic_decoders(Any)),
}
BAD = [b"{}", b'{"results": "x"}', b'{"results": [], "paging": "x"}',
       b'{"results": [], "paging": {"next": {"after": ""}}}']
NOT_OBJECT = b'{"results": [1]}'  # passes list[Any] by design
BAD_SEARCH = [*BAD, b'{"total": "many", "results": []}', b'{"total": true, "results": []}',
              b'{"results": []}']
R = b'{"results": [{"from": {"id": "1"}, "to": [%s]%s}]}'
BAD_ASSOC = [b"{}", b'{"results": "x"}', b'{"results": [{"from": {"id": "1"}}]}',
             R % (b"", b', "paging": "x"'),
             R % (b"", b', "paging": {"next": {"after": ""}}'),
             R % (b'{"toObjectId": 2, "associationTypes": [{"category": "X", "typeId": "1"}]}',
                  b"")]


def fetch_bodies() -> dict[str, list[bytes]]:
    from hubspot_emulator.testing import start_emulator

    bodies: dict[str, list[bytes]] = {"list": [], "search": [], "assoc": []}
    with start_emulator(token="t", contacts=2000) as emu, httpx.Client(
            base_url=emu.url, headers={"Authorization": "Bearer t"}) as http:
        props = [p["name"] for p in http.get("/crm/v3/properties/contacts").json()["results"]]
        params: dict = {"limit": 100, "properties": ",".join(props)}
        ids: list[str] = []
        while True:
            body = http.get("/crm/v3/objects/contacts", params=params).raise_for_status().content
            bodies["list"].append(body)
            ids += [r["id"] for r in orjson.loads(body)["results"]]
            if not (after := _next(orjson.loads(body))):
                break
            params["after"] = after
        search: dict = {"limit": 100, "properties": props, "filterGroups": []}
        while True:
            body = http.post("/crm/v3/objects/contacts/search", json=search)
            bodies["search"].append(body.raise_for_status().content)
            if not (after := _next(body.json())):
                break
            search["after"] = after
        for to in ("companies", "deals"):
            for chunk in chunked(ids, 1000):
                inputs = [{"id": i} for i in chunk]
                bodies["assoc"].append(http.post(
                    f"/crm/v4/associations/contacts/{to}/batch/read",
                    json={"inputs": inputs}).raise_for_status().content)
    return bodies


def check(name: str, funcs: dict, bodies: dict[str, list[bytes]]) -> None:
    for kind, bad in (("list", BAD), ("search", BAD_SEARCH), ("assoc", BAD_ASSOC)):
        for body in bodies[kind][:2] + bodies[kind][-1:]:
            assert funcs[kind](body) == DECODERS["(a) orjson + .get (today)"][kind](body), name
        if name.startswith("(a)"):
            continue
        for body in bad if "Any]" in name else [*bad, NOT_OBJECT]:
            try:
                funcs[kind](body)
            except (ValueError, msgspec.DecodeError):  # pydantic's ValidationError too
                continue
            raise AssertionError(f"{name} {kind} accepted {body!r}")


def cpu_per_1000(func: Any, bodies: list[bytes], n_records: int) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        gc.collect()
        start = time.process_time()
        for body in bodies:
            func(body)
        best = min(best, time.process_time() - start)
    return best / n_records * 1000


def surrogate(func: Any, body: bytes) -> str:
    bad = body.replace(b'"firstname":"', b'"firstname":"\\ud800', 1)
    assert bad != body
    try:
        func(bad)
    except Exception as err:
        msg = err.errors()[0]["msg"] if isinstance(err, pydantic.ValidationError) else err
        return f"{type(err).__name__}: {msg}"
    return "ACCEPTED"


def main() -> None:
    bodies = fetch_bodies()
    for name, funcs in DECODERS.items():
        check(name, funcs, bodies)
    n_props = len(orjson.loads(bodies["list"][0])["results"][0]["properties"])
    lines = [f"date: {datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds')}",
             f"python {platform.python_version()} ({platform.platform()}); orjson "
             f"{orjson.__version__}, msgspec {msgspec.__version__}, pydantic {pydantic.VERSION} "
             f"(pydantic-core {pydantic_core.__version__})",
             f"CPU s per 1,000 records, best of {REPEATS}; ~{RECORDS_PER_KIND} records per kind "
             f"(contact pages of 100 x {n_props}"
             " properties; v4 association replies of 1,000 from-ids, to companies and deals)",
             f"budget: 5% of 0.048 = {BUDGET:.4f} CPU s per 1,000 records over (a)", "",
             f"{'decoder':28}{'kind':>8}{'CPU s/1k':>11}{'x (a)':>8}{'+ s/1k':>10}"]
    base: dict[str, float] = {}
    for kind in ("list", "search", "assoc"):
        per_body = [len(orjson.loads(b)["results"]) for b in bodies[kind]]
        reps = -(-RECORDS_PER_KIND // sum(per_body))
        for name, funcs in DECODERS.items():
            cpu = cpu_per_1000(funcs[kind], bodies[kind] * reps, sum(per_body) * reps)
            base.setdefault(kind, cpu)
            lines.append(f"{name:28}{kind:>8}{cpu:11.5f}{cpu / base[kind]:8.2f}"
                         f"{cpu - base[kind]:+10.5f}")
        lines.append("")
    lines.append("lone surrogate escape \\ud800 in one string of a list page:")
    lines += [f"  {name:28}{surrogate(funcs['list'], bodies['list'][0])}"
              for name, funcs in DECODERS.items()]
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
