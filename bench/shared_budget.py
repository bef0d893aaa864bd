"""Benchmark: one rate budget for two processes syncing the same account at once.

    python -m bench.shared_budget [--contacts 40000] [--redis redis://127.0.0.1:6379/0]

The emulator runs in HubSpot's `pro` profile (190 requests per rolling 10 s) in its own
process. Two `manage.py` processes sync different types at the same time (contacts and
companies, full, with their links) into a fresh PostgreSQL database, twice: with the budget
shared through Redis (HUBSPOT_RATE_LIMIT_REDIS_URL), then each pacing itself alone; then
the same with four processes (+ deals, tickets). Prints
requests, HTTP 429s, wall time and the share of the budget used, requests / (190 x wall / 10),
and writes bench/results/shared-budget-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import time

import orjson

from bench.__main__ import POSTGRES_ADMIN_URL, ROOT, TOKEN, machine, manage

PRO_PER_10S = 190
TWO = (["sync_hubspot_contacts", "--full"], ["sync_hubspot_companies", "--full"])
# More processes, more requests in flight when the window fills: what pacing alone risks.
FOUR = (*TWO, ["sync_hubspot_deals", "--full"], ["sync_hubspot_tickets", "--full"])
SCENARIOS = {"shared": (TWO, True), "alone": (TWO, False),
             "shared_4": (FOUR, True), "alone_4": (FOUR, False)}
DATABASE = "hubspot_bench_shared"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=40_000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    from hubspot_emulator.testing import spawn_emulator

    results = {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
               "machine": machine(), "contacts": args.contacts, "profile": "pro",
               "scenarios": {}}
    with spawn_emulator(token=TOKEN, contacts=1000) as emulator:
        for name, (commands, shared) in SCENARIOS.items():
            results["scenarios"][name] = scenario(emulator, args.contacts, commands,
                                                  args.redis if shared else "")
            print_row(name, results["scenarios"][name])
    out = ROOT / "bench" / "results" / f"shared-budget-{datetime.date.today()}.json"
    out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(f"\nwritten: {out.relative_to(ROOT)}")


def scenario(emulator, contacts: int, commands: tuple, redis_url: str) -> dict:
    """The commands at once, from an empty database and a fresh emulator."""
    env = {**os.environ, "DATABASE_URL": fresh_database(), "HUBSPOT_API_BASE_URL": emulator.url,
           "HUBSPOT_ACCESS_TOKEN": TOKEN, "HUBSPOT_RATE_LIMIT_REDIS_URL": redis_url,
           "REDIS_URL": "", "HUBSPOT_MIRROR_ENV_FILE": ""}
    manage(env, "migrate", "--verbosity", "0")
    if redis_url:
        forget_shared_state(redis_url)
    emulator.control.reset(contacts=contacts, seed=1, rate_limit="pro")
    started = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "manage.py", *command, "--noinput"], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for command in commands]
    outputs = [p.communicate() for p in procs]
    wall = time.monotonic() - started
    stats = emulator.control.stats()
    requests = stats["requests"]
    http_429 = stats["by_status"].get("429", 0)
    return {"commands": [" ".join(c) for c in commands], "redis": bool(redis_url),
            "wall_s": round(wall, 2), "requests": requests,
            "http_429": http_429, "exit_codes": [p.returncode for p in procs],
            "summaries": [out.strip().splitlines()[-1] if out.strip() else err[-300:]
                          for out, err in outputs],
            "retry_warnings": sum(err.count("retrying after") for _, err in outputs),
            "budget_share": round(requests / (PRO_PER_10S * wall / 10), 3),
            # The first window's burst is free, so a run can beat 190 x wall / 10; the fastest
            # N requests can finish is 10 s x floor((N - 1) / 190) (as bench `pro`).
            "share_of_fastest": round(10.0 * ((requests - 1) // PRO_PER_10S) / wall, 3),
            "accepted_share": round((requests - http_429) / (PRO_PER_10S * wall / 10), 3)}


def forget_shared_state(url: str) -> None:
    """Start the shared budget empty (another run's window or daily count would skew it)."""
    import redis

    from ingestion.sync.hubspot.shared_pacing import DEFAULT_PREFIX

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{DEFAULT_PREFIX}:*"):
        client.delete(key)
    client.close()


def fresh_database() -> str:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL.replace("postgres://", "postgresql://"),
                         autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}"


def print_row(name: str, f: dict) -> None:
    print(f"{name:<7} wall={f['wall_s']:.1f}s requests={f['requests']} "
          f"429={f['http_429']} share={f['budget_share']:.1%} "
          f"of_fastest={f['share_of_fastest']:.1%} exit={f['exit_codes']}")
    for line in f["summaries"]:
        print(f"        {line}")


if __name__ == "__main__":
    main()
