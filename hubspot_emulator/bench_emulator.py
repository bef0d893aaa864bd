"""Measure the emulator itself (not a test): list pages per second and server RSS.

    python -m hubspot_emulator.bench_emulator --contacts 100000 [--workers 4] [--pages N]

Starts the emulator as a subprocess (its own core), asks for every contact property, and
pages through `GET /crm/v3/objects/contacts?limit=100` with a few concurrent cursors that each
start at a different id, so the server (not the client) is the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

import aiohttp
import orjson

from .testing import spawn_emulator

CONTACT_ID_BASE = 10_000_000_000
TOKEN = "bench-token"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def _segment(session, url, props, start_id, stop_id, max_pages) -> tuple[int, int]:
    """Page from start_id until a record id reaches stop_id; returns (pages, records)."""
    pages = records = 0
    after = str(start_id)
    while after and int(after) < stop_id and pages < max_pages:
        params = {"limit": "100", "properties": props, "after": after}
        async with session.get(f"{url}/crm/v3/objects/contacts", params=params) as response:
            body = await response.read()
        # Cheap client side (no full JSON parse) so the server is what gets measured.
        pages += 1
        records += body.count(b'"archived":')
        tail = body[body.rfind(b'"paging"'):] if b'"paging"' in body else b""
        after = orjson.loads(b"{" + tail)["paging"]["next"]["after"] if tail else None
    return pages, records


async def page_through(url: str, contacts: int, workers: int, max_pages: int) -> dict:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(f"{url}/crm/v3/properties/contacts") as response:
            names = [p["name"] for p in (await response.json())["results"]]
        props = ",".join(names)
        step = contacts // workers + 1
        bounds = [(CONTACT_ID_BASE + 1 + k * step, CONTACT_ID_BASE + 1 + (k + 1) * step)
                  for k in range(workers)]
        started = time.perf_counter()
        done = await asyncio.gather(*(_segment(session, url, props, lo, hi,
                                               max_pages // workers) for lo, hi in bounds))
        elapsed = time.perf_counter() - started
    pages = sum(p for p, _ in done)
    return {"pages": pages, "records": sum(r for _, r in done), "seconds": round(elapsed, 2),
            "pages_per_s": round(pages / elapsed, 1), "properties": len(names)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--pages", type=int, default=10**9, help="stop after this many pages")
    args = parser.parse_args()
    with spawn_emulator(token=TOKEN, contacts=args.contacts) as running:
        pid = running.process.pid
        seeded, cpu = rss_mb(pid), cpu_seconds(pid)
        result = asyncio.run(page_through(running.url, args.contacts, args.workers, args.pages))
        cpu = cpu_seconds(pid) - cpu
        # pages per second of server CPU: what one core sustains, whatever the client costs
        result.update(contacts=args.contacts, server_cpu_s=round(cpu, 2),
                      pages_per_cpu_s=round(result["pages"] / cpu, 1),
                      rss_after_seed_mb=round(seeded, 1), rss_after_paging_mb=round(rss_mb(pid), 1))
    print(orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
