"""How soon an upstream change is in the mirror through the webhooks journal, and what reading
the journal costs.

    .venv/bin/python -m bench.journal [--contacts 3000] [--db postgres|sqlite] [--rounds 5]
                                      [--idle-minutes 3]

1. Seeds an emulator (its own process, no rate limit) that knows the app's client
   credentials, mirrors companies, contacts and lists (`--full`) into a fresh database and
   runs `setup_hubspot_journal`.
2. **Latency on the default schedule.** A stand-in for Celery beat starts
   `sync_hubspot_changes --watch 50` every 60 s, as the default schedule does (a start that
   finds the previous run still going exits 75, as it would under beat). Each round waits a
   random part of a minute, then makes five changes upstream at once: a property, an
   association-only change, a deletion, a merge and a list membership. The seconds from each
   change until the mirror's database shows it (polled every 0.25 s) are recorded.
3. **Idle cost.** The requests the emulator answers during `--idle-minutes` of the same
   schedule with nothing changing, per hour.
4. **Per 1,000 changes.** With the schedule stopped: 1,000 property changes (10 batch
   updates), then one `sync_hubspot_changes`; then 1,000 mixed changes (500 properties, 300
   association-only, 100 deletions, 100 list memberships) and one run. Its requests by kind
   (journal, files, token, CRM) as the emulator counted them.
Results go to bench/results/journal-<date>-<contacts>.json.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter

import httpx
import orjson

from bench.__main__ import ROOT, TOKEN, fresh_database, machine, manage

CLIENT_ID, CLIENT_SECRET = "bench-app", "bench-app-secret"
SCHEDULE_EVERY_S, WATCH_S = 60, 50
KINDS = ("property", "association", "deletion", "merge", "list membership")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=3000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--idle-minutes", type=float, default=3)
    args = parser.parse_args()
    from hubspot_emulator.testing import spawn_emulator

    with spawn_emulator(token=TOKEN, contacts=args.contacts, client_id=CLIENT_ID,
                        client_secret=CLIENT_SECRET) as emulator:
        env = bench_env(emulator, args.db)
        mirror(env)
        bench = JournalBench(env, emulator, args)
        figures = bench.run()
    figures.update(date=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                   machine=machine(), contacts=args.contacts, db=args.db)
    out = (ROOT / "bench" / "results" /
           f"journal-{datetime.date.today()}-{args.contacts}.json")
    out.write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))
    print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode())
    print(f"\nwritten: {out.relative_to(ROOT)}")


def bench_env(emulator, db: str) -> dict:
    return {**os.environ, "DATABASE_URL": fresh_database(db),
            "HUBSPOT_API_BASE_URL": emulator.url, "HUBSPOT_ACCESS_TOKEN": TOKEN,
            "HUBSPOT_CLIENT_ID": CLIENT_ID, "HUBSPOT_CLIENT_SECRET": CLIENT_SECRET,
            "HUBSPOT_SEARCH_REQUESTS_PER_SECOND": "0", "HUBSPOT_MIRROR_ENV_FILE": ""}


def mirror(env: dict) -> None:
    manage(env, "migrate", "--verbosity", "0")
    for command in ("sync_hubspot_companies", "sync_hubspot_contacts"):
        manage(env, command, "--full")
    manage(env, "sync_hubspot_lists")
    manage(env, "setup_hubspot_journal")
    manage(env, "sync_hubspot_changes")  # whatever setting up left in the journal


class Beat:
    """Celery beat's stand-in: `sync_hubspot_changes --watch 50` every 60 s."""

    def __init__(self, env: dict):
        self.env, self.stop, self.children = env, threading.Event(), []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Beat:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        for child in self.children:
            child.wait()

    def _run(self) -> None:
        while not self.stop.is_set():
            self.children.append(subprocess.Popen(
                [sys.executable, "manage.py", "sync_hubspot_changes", "--watch", str(WATCH_S)],
                cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            self.stop.wait(SCHEDULE_EVERY_S)


class JournalBench:
    def __init__(self, env: dict, emulator, args):
        self.env, self.emulator, self.args = env, emulator, args
        self.api = httpx.Client(base_url=emulator.url, timeout=60,
                                headers={"Authorization": f"Bearer {TOKEN}"})
        self.db = Database(env["DATABASE_URL"])
        # Live records only (the seeded portal has archived ones), each used by one change.
        self.contacts = [int(i) for i in self.db.ids("hubspot_contact")][10:]
        self.companies = [int(i) for i in self.db.ids("hubspot_company")]

    def run(self) -> dict:
        with Beat(self.env):
            latencies = [self.round() for _ in range(self.args.rounds)]
            idle = self.idle()
        return {"latency_s": summarize(latencies), "idle": idle,
                "per_1000_property_changes": self.per_thousand(mixed=False),
                "per_1000_mixed_changes": self.per_thousand(mixed=True)}

    # -- latency -----------------------------------------------------------------------------

    def round(self) -> dict[str, float]:
        time.sleep(random.uniform(0, SCHEDULE_EVERY_S))
        contact, deleted, target, absorbed = self._fresh_contacts(4)
        joining = self._not_a_member()
        checks = {
            "property": self._change_property(contact),
            "association": self._change_association(contact),
            "deletion": self._delete(deleted),
            "merge": self._merge(target, absorbed),
            "list membership": self._add_to_list(joining),
        }
        return self._wait_for(checks)

    def _fresh_contacts(self, count: int) -> list[int]:
        if len(self.contacts) < count:
            raise SystemExit("the portal ran out of contacts: give more --contacts")
        ids, self.contacts = self.contacts[:count], self.contacts[count:]
        return ids

    def _not_a_member(self) -> int:
        """A contact list 1 does not hold yet (the seeded portal's lists have members)."""
        while True:
            [candidate] = self._fresh_contacts(1)
            if not self.db.found("SELECT 1 FROM hubspot_list_membership WHERE list_id = '1' "
                                 "AND record_id = {p}", (str(candidate),)):
                return candidate

    def _change_property(self, contact: int):
        value = f"bench-{contact}-{time.monotonic_ns()}"
        self.api.patch(f"/crm/v3/objects/contacts/{contact}",
                       json={"properties": {"firstname": value}}).raise_for_status()
        return time.monotonic(), ("SELECT 1 FROM hubspot_contact WHERE id = {p} AND "
                                  "firstname = {p}", (str(contact), value))

    def _change_association(self, contact: int):
        company = self.companies[contact % len(self.companies)]
        self.api.put(f"/crm/v4/objects/contacts/{contact}/associations/default/companies/"
                     f"{company}").raise_for_status()
        return time.monotonic(), ("SELECT 1 FROM hubspot_association WHERE from_object_type "
                                  "= 'contacts' AND from_id = {p} AND to_id = {p}",
                                  (str(contact), str(company)))

    def _delete(self, contact: int):
        self.api.delete(f"/crm/v3/objects/contacts/{contact}").raise_for_status()
        return time.monotonic(), ("SELECT 1 FROM hubspot_contact WHERE id = {p} AND "
                                  "deleted_kind = 'archived'", (str(contact),))

    def _merge(self, target: int, absorbed: int):
        self.api.post("/crm/v3/objects/contacts/merge", json={
            "primaryObjectId": str(target), "objectIdToMerge": str(absorbed)}).raise_for_status()
        return time.monotonic(), ("SELECT 1 FROM hubspot_contact WHERE id = {p} AND "
                                  "deleted_kind = 'merged'", (str(absorbed),))

    def _add_to_list(self, contact: int):
        self.emulator.control.list_add_members(1, [contact])
        return time.monotonic(), ("SELECT 1 FROM hubspot_list_membership WHERE list_id = '1' "
                                  "AND record_id = {p}", (str(contact),))

    def _wait_for(self, checks: dict) -> dict[str, float]:
        seen: dict[str, float] = {}
        deadline = time.monotonic() + 4 * SCHEDULE_EVERY_S
        while len(seen) < len(checks) and time.monotonic() < deadline:
            for kind, (made_at, query) in checks.items():
                if kind not in seen and self.db.found(*query):
                    seen[kind] = round(time.monotonic() - made_at, 2)
            time.sleep(0.25)
        return {kind: seen.get(kind, float("inf")) for kind in checks}

    # -- costs -------------------------------------------------------------------------------

    def idle(self) -> dict:
        before = self._requests()
        time.sleep(self.args.idle_minutes * 60)
        spent = self._requests() - before
        per_hour = {kind: round(n * 60 / self.args.idle_minutes) for kind, n in spent.items()}
        return {"minutes": self.args.idle_minutes, "requests": dict(spent),
                "requests_per_hour": per_hour}

    def per_thousand(self, *, mixed: bool) -> dict:
        self._make_changes(mixed)
        before, started = self._requests(), time.monotonic()
        manage(self.env, "sync_hubspot_changes")
        spent = self._requests() - before
        return {"requests": dict(spent), "total_api_requests": sum(
            n for kind, n in spent.items() if kind != "files"),
            "wall_s": round(time.monotonic() - started, 1)}

    def _make_changes(self, mixed: bool) -> None:
        contacts = self._fresh_contacts(1000)
        properties = contacts[:500] if mixed else contacts
        for start in range(0, len(properties), 100):
            inputs = [{"id": str(c), "properties": {"lastname": f"many-{c}"}}
                      for c in properties[start:start + 100]]
            self.api.post("/crm/v3/objects/contacts/batch/update",
                          json={"inputs": inputs}).raise_for_status()
        if not mixed:
            return
        for contact in contacts[500:800]:
            self._change_association(contact)
        self.api.post("/crm/v3/objects/contacts/batch/archive", json={
            "inputs": [{"id": str(c)} for c in contacts[800:900]]}).raise_for_status()
        self.emulator.control.list_add_members(1, contacts[900:])

    def _requests(self) -> Counter:
        by_kind: Counter = Counter()
        for path, count in self.emulator.control.stats()["by_path"].items():
            by_kind[request_kind(path)] += count
        return by_kind


def request_kind(path: str) -> str:
    if path.startswith("/webhooks-journal/"):
        return "journal"
    if path.startswith("/_journal-files"):
        return "files"
    if path.startswith("/oauth/"):
        return "token"
    return "crm"


def summarize(rounds: list[dict[str, float]]) -> dict:
    by_kind = {kind: [r[kind] for r in rounds] for kind in KINDS}
    every = [s for values in by_kind.values() for s in values]
    return {"rounds": rounds, "max_by_kind": {k: max(v) for k, v in by_kind.items()},
            "mean_s": round(sum(every) / len(every), 2), "max_s": max(every),
            "within_60s": sum(s <= 60 for s in every), "changes": len(every)}


class Database:
    """Reads the mirror's tables with the database's own driver (no Django here)."""

    def __init__(self, url: str):
        self.sqlite = url.startswith("sqlite")
        self.url = url

    def found(self, query: str, params: tuple) -> bool:
        return bool(self._rows(query.format(p="?" if self.sqlite else "%s"), params))

    def ids(self, table: str) -> list[str]:
        """The live rows' ids, in order."""
        return [row[0] for row in self._rows(
            f"SELECT id FROM {table} WHERE deleted_kind IS NULL ORDER BY id", ())]

    def _rows(self, sql: str, params: tuple) -> list:
        if self.sqlite:
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as conn:
                return conn.execute(sql, params).fetchall()
        import psycopg

        with psycopg.connect(self.url.replace("postgres://", "postgresql://")) as conn:
            return conn.execute(sql, params).fetchall()


if __name__ == "__main__":
    main()
