"""Proof that fivetran/dbt_hubspot runs unchanged on the mirror's Fivetran-compatible layer.

    python3 dev.py dbt-hubspot [run] [--contacts N] [--database NAME] [--postgres URL]
    python3 dev.py dbt-hubspot setup                      # .venv-dbt: dbt-core, dbt-postgres
    python3 dev.py dbt-hubspot packages [--from-git DIR]  # dbt_packages/: dbt deps, or git tags

`run` (the default) fills a PostgreSQL database of its own from a local emulator's seeded
portal (`sync_hubspot_all`, then a few deals moved through their pipeline and synced again,
so deal stages have history), builds the layer (`build_hubspot_views --layout fivetran`),
then runs `dbt run` and `dbt test` of analytics/dbt_hubspot_check twice: with dbt_hubspot's
service part off (its default) and on. It prints the models built and tests passed, the rows
of every source table dbt_hubspot reads and of every staging model it builds, and exits
non-zero when a dbt step fails or a source table is missing or empty (dbt_hubspot itself does
not fail then: it builds an empty staging model in its place).

Like `dev.py demo` it touches nothing it did not make: DATABASE_URL, every HUBSPOT_* and
DJANGO_* variable and the .env file are ignored; the database (default `hubspot_dbt_check`, on
the server of `--postgres`) is dropped and created again on every run, and only if this tool
made it (it carries a comment saying so).

dbt runs from its own virtualenv, .venv-dbt (dbt's pins need not agree with the product's);
dbt_hubspot and the packages it needs are in analytics/dbt_hubspot_check/dbt_packages/, which
`dbt deps` fills from dbt's package hub, or `packages --from-git DIR` from git clones (DIR
holding dbt_hubspot, dbt_fivetran_utils, dbt-utils and spark-utils, bare or not).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import venv
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "analytics" / "dbt_hubspot_check"
PACKAGES_DIR = PROJECT / "dbt_packages"
DBT_VENV = ROOT / ".venv-dbt"
DBT = DBT_VENV / ("Scripts/dbt.exe" if os.name == "nt" else "bin/dbt")
DBT_REQUIREMENTS = ("dbt-core~=1.11.0", "dbt-postgres~=1.11.0")
DBT_STAMP = DBT_VENV / ".installed"
OUTPUT = ROOT / "var" / "dbt_hubspot"  # dbt's target and log folders, one per database

TOKEN = "pat-na1-dbt-check-token"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432"
DEFAULT_DATABASE = "hubspot_dbt_check"
DATABASE_MARK = "made by devtools/dbt_hubspot.py; dropped and made again on every run"
DBT_SCHEMA = "dbt_hubspot"  # dbt_hubspot builds its models in <this>_hubspot
# The history dbt_hubspot's *_property_history and deal_stage tables are made of: the stage
# properties, lifecycle stages and tickets' pipeline stages (kept whatever the defaults are).
HISTORY = ("deals:dealstage,contacts:lifecyclestage,companies:lifecyclestage,"
           "tickets:hs_pipeline_stage")
DEALS_MOVED = 5  # deals moved two stages forward after the first sync (deal_stage ranges)


@dataclass(frozen=True)
class Package:
    """A dbt package dbt_hubspot needs: its name in dbt_packages/ (its dbt_project.yml `name`),
    its GitHub repository and the tag of the version checked."""
    name: str
    owner: str
    repository: str
    tag: str


PACKAGES = (
    Package("hubspot", "fivetran", "dbt_hubspot", "v1.7.2"),
    Package("fivetran_utils", "fivetran", "dbt_fivetran_utils", "v0.4.10"),
    Package("dbt_utils", "dbt-labs", "dbt-utils", "1.4.1"),
    Package("spark_utils", "dbt-labs", "spark-utils", "0.3.3"),
)

# The tables dbt_hubspot v1.7.2 reads with its default variables, and the service part's
# (hubspot_service_enabled): each must be in the layer's schema, and hold rows.
SOURCE_TABLES = (
    "company", "company_property_history", "contact", "contact_form_submission",
    "contact_list", "contact_list_member", "contact_property_history", "deal",
    "deal_company", "deal_contact", "deal_pipeline", "deal_pipeline_stage",
    "deal_property_history", "deal_stage", "email_campaign", "email_event",
    "email_event_bounce", "email_event_click", "email_event_deferred", "email_event_delivered",
    "email_event_dropped", "email_event_forward", "email_event_open", "email_event_print",
    "email_event_sent", "email_event_spam_report", "email_event_status_change", "engagement",
    "engagement_call", "engagement_company", "engagement_contact", "engagement_deal",
    "engagement_email", "engagement_meeting", "engagement_note", "engagement_task", "form",
    "owner", "owner_team", "property", "property_option", "role", "team", "team_user", "users",
)
SERVICE_TABLES = (
    "ticket", "ticket_company", "ticket_contact", "ticket_engagement", "ticket_pipeline",
    "ticket_pipeline_stage", "ticket_property_history",
)
# Source tables (or staging models) allowed to be empty, with the reason: the seeded portal
# has data for every one of them, so none is.
MAY_BE_EMPTY: dict[str, str] = {}


class NotReady(Exception):
    """Something the check needs is not there (dbt, the packages, the layer): exit 2."""


# -- set-up: dbt's virtualenv and the packages ----------------------------------------------

def setup_dbt() -> None:
    """Create .venv-dbt with dbt-core and dbt-postgres 1.11, once per change of the pins."""
    wanted = " ".join(DBT_REQUIREMENTS)
    if DBT.exists() and DBT_STAMP.exists() and DBT_STAMP.read_text() == wanted:
        return
    if not (DBT_VENV / "pyvenv.cfg").exists():
        print(f"creating {DBT_VENV.name} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(DBT_VENV)
    print(f"installing {wanted} into {DBT_VENV.name} ...", flush=True)
    python = DBT_VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    subprocess.run([str(python), "-m", "pip", "install", "-q", *DBT_REQUIREMENTS], check=True)
    DBT_STAMP.write_text(wanted)


def missing_packages() -> list[str]:
    """The packages not (or not as a dbt project of that name) in dbt_packages/."""
    return [p.name for p in PACKAGES
            if project_name(PACKAGES_DIR / p.name / "dbt_project.yml") != p.name]


def project_name(dbt_project: Path) -> str | None:
    if not dbt_project.exists():
        return None
    found = re.search(r"^name:\s*['\"]?([\w-]+)", dbt_project.read_text(), re.MULTILINE)
    return found.group(1) if found else None


def hubspot_version() -> str | None:
    dbt_project = PACKAGES_DIR / "hubspot" / "dbt_project.yml"
    if not dbt_project.exists():
        return None
    found = re.search(r"^version:\s*['\"]?([\w.]+)", dbt_project.read_text(), re.MULTILINE)
    return found.group(1) if found else None


def install_packages(from_git: Path | None) -> None:
    """`dbt deps` (dbt's package hub), or each package's tag exported from a git clone."""
    if from_git is None:
        setup_dbt()
        dbt("deps")
        return
    for package in PACKAGES:
        repository = git_repository(from_git, package)
        target = PACKAGES_DIR / package.name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        tar = subprocess.run(["git", "-C", str(repository), "archive", "--format=tar",
                              package.tag], capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
            archive.extractall(target, filter="data")
        print(f"{package.name}: {package.owner}/{package.repository} {package.tag} "
              f"from {repository}", flush=True)


def git_repository(folder: Path, package: Package) -> Path:
    candidates = [folder / package.repository, folder / f"{package.repository}.git",
                  folder / package.owner / package.repository]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise NotReady(f"no git clone of {package.owner}/{package.repository} in {folder} "
                   f"(looked for {', '.join(c.name for c in candidates[:2])})")


def check_ready() -> None:
    if not DBT.exists():
        raise NotReady(f"dbt is not installed: python3 dev.py dbt-hubspot setup "
                       f"(creates {DBT_VENV.name})")
    missing = missing_packages()
    if missing:
        raise NotReady(f"dbt packages missing from {PACKAGES_DIR.relative_to(ROOT)}: "
                       f"{', '.join(missing)}; python3 dev.py dbt-hubspot packages "
                       "(dbt deps) or packages --from-git DIR (docs/analysts.md)")


# -- the mirror: a database of its own, filled from the emulator ------------------------------

def database_url(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(name), parts.query, ""))


def recreate_database(server: str, name: str) -> None:
    """Drop the check's database (only one this tool made) and create it again, marked."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(database_url(server, "postgres"), autocommit=True) as admin:
        found = admin.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                              "WHERE datname = %s", (name,)).fetchone()
        if found is not None and found[0] != DATABASE_MARK:
            raise NotReady(f"database {name} exists and was not made by this tool: "
                           "choose another with --database")
        database = sql.Identifier(name)
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(database))
        admin.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            database, sql.Literal(DATABASE_MARK)))


def isolate_environment(url: str, emulator_url: str) -> None:
    """Before Django reads its settings: nothing from the caller's environment or .env."""
    for name in [n for n in os.environ
                 if n.startswith(("HUBSPOT_", "DJANGO_")) or n == "DATABASE_URL"]:
        del os.environ[name]
    os.environ.update({
        "HUBSPOT_MIRROR_ENV_FILE": "",
        "DATABASE_URL": url,
        "HUBSPOT_API_BASE_URL": emulator_url,
        "HUBSPOT_ACCESS_TOKEN": TOKEN,
        "HUBSPOT_PROPERTY_HISTORY": HISTORY,
        "DJANGO_SETTINGS_MODULE": "config.settings",
    })


def fill_mirror(emulator_url: str) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    step("sync the portal: manage.py sync_hubspot_all")
    call_command("sync_hubspot_all")
    moved = move_deals(emulator_url)
    step(f"{moved} deals moved two stages on in HubSpot; manage.py sync_hubspot_deals")
    call_command("sync_hubspot_deals")


def move_deals(emulator_url: str) -> int:
    """Move a few open deals of the default pipeline two stages forward, one PATCH a stage,
    as a salesperson would: their stage history then has closed ranges."""
    import httpx

    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=emulator_url, headers=headers, timeout=30) as http:
        pipelines = http.get("/crm/v3/pipelines/deals").raise_for_status().json()["results"]
        default = next(p for p in pipelines if p["id"] == "default")
        stages = [s["id"] for s in sorted(default["stages"], key=lambda s: s["displayOrder"])]
        deals = http.get("/crm/v3/objects/deals", params={
            "limit": 100, "properties": "pipeline,dealstage"}).raise_for_status().json()
        movable = [d for d in deals["results"] if d["properties"].get("pipeline") == "default"
                   and d["properties"].get("dealstage") in stages[:-3]][:DEALS_MOVED]
        for deal in movable:
            at = stages.index(deal["properties"]["dealstage"])
            for stage in stages[at + 1:at + 3]:
                http.patch(f"/crm/v3/objects/deals/{deal['id']}",
                           json={"properties": {"dealstage": stage}}).raise_for_status()
    return len(movable)


def build_layer() -> str:
    """`build_hubspot_views --layout fivetran`; the layer's schema."""
    from django.conf import settings
    from django.core.management import call_command

    call_command("build_hubspot_views", "--layout", "fivetran")
    return getattr(settings, "HUBSPOT_FIVETRAN_SCHEMA", "hubspot_fivetran")


def layer_available() -> bool:
    """Whether build_hubspot_views takes `--layout` (the Fivetran layer is in this tree)."""
    from django.core.management import load_command_class

    command = load_command_class("ingestion", "build_hubspot_views")
    parser = command.create_parser("manage.py", "build_hubspot_views")
    return "--layout" in parser._option_string_actions


# -- dbt -----------------------------------------------------------------------------------

@dataclass
class DbtRun:
    """What one `dbt run` + `dbt test` did, from their run_results.json."""
    label: str
    models: dict[str, int] = field(default_factory=dict)  # status -> count
    tests: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)  # node and status, e.g. "test.x: fail"
    staging_rows: dict[str, int] = field(default_factory=dict)
    sources_read: set[str] = field(default_factory=set)  # tables its enabled models read


def dbt_environment(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("DBT_", "HUBSPOT_"))}
    env.update({
        "DBT_PG_HOST": parts.hostname or "127.0.0.1",
        "DBT_PG_PORT": str(parts.port or 5432),
        "DBT_PG_USER": parts.username or "postgres",
        "DBT_ENV_SECRET_PG_PASSWORD": parts.password or "",
        "DBT_PG_DATABASE": parts.path.lstrip("/"),
        "DBT_PG_SCHEMA": DBT_SCHEMA,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    })
    return env


def dbt(command: str, variables: dict | None = None, env: dict[str, str] | None = None,
        output: Path | None = None) -> int:
    """One dbt command on the check's project; its target (results, partial parse) and logs in
    `output`."""
    args = [str(DBT), command, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT)]
    shown = f"dbt {command}"
    if variables is not None:
        variables = json.dumps(variables)
        args += ["--vars", variables, "--target-path", str(output / "target"),
                 "--log-path", str(output / "logs")]
        shown += f" --vars '{variables}'"
        (output / "target" / "run_results.json").unlink(missing_ok=True)
    step(shown)
    return subprocess.run(args, cwd=PROJECT, env=env).returncode


def run_dbt(label: str, variables: dict, env: dict[str, str], output: Path) -> DbtRun:
    """`dbt run`, then `dbt test`, with these variables; each label its own target folder, so
    dbt's partial parsing (lost whenever the variables change) serves the next run."""
    result = DbtRun(label)
    output = output / label.replace(" ", "_")
    for command, counts in (("run", result.models), ("test", result.tests)):
        code = dbt(command, variables, env, output)
        results = read_results(output / "target" / "run_results.json")
        for node, status in results:
            counts[status] = counts.get(status, 0) + 1
            if status not in ("success", "pass"):
                result.failed.append(f"{node}: {status}")
        if code != 0 and not result.failed:
            result.failed.append(f"dbt {command} exited {code}")
    manifest = output / "target" / "manifest.json"
    result.staging_rows, result.sources_read = staging_rows(manifest), sources_read(manifest)
    return result


def read_results(path: Path) -> list[tuple[str, str]]:
    """(node id, status) of each node the dbt command ran; none if it wrote no file."""
    if not path.exists():
        return []
    return [(r["unique_id"], str(r["status"])) for r in json.loads(path.read_text())["results"]]


def sources_read(manifest: Path) -> set[str]:
    """The source tables the enabled models depend on (to catch a version reading more)."""
    if not manifest.exists():
        return set()
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return {node.rsplit(".", 1)[1] for n in nodes if n["resource_type"] == "model"
            for node in n["depends_on"]["nodes"] if node.startswith("source.")}


def staging_rows(manifest: Path) -> dict[str, int]:
    """Rows of each staging model built (stg_hubspot__*, its _tmp views left out)."""
    if not manifest.exists():
        return {}
    nodes = json.loads(manifest.read_text())["nodes"].values()
    staging = {n["name"]: n["relation_name"] for n in nodes
               if n["resource_type"] == "model" and n["name"].startswith("stg_hubspot__")
               and not n["name"].endswith("_tmp") and n.get("relation_name")}
    return {name: relation_rows(relation) for name, relation in sorted(staging.items())}


def relation_rows(relation: str) -> int | None:
    """Rows of a table or view named as SQL ("schema"."name"); None where it does not exist."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [relation])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f"SELECT count(*) FROM {relation}")  # names we chose or dbt did
        return cursor.fetchone()[0]


# -- the source tables ---------------------------------------------------------------------

def source_rows(schema: str, tables: tuple[str, ...]) -> dict[str, int | None]:
    """Rows of each table (or view) in the layer's schema; None where it does not exist."""
    return {table: relation_rows(f'"{schema}"."{table}"') for table in tables}


def table_problems(rows: dict[str, int | None]) -> list[str]:
    problems = []
    for table, count in rows.items():
        if count is None:
            problems.append(f"{table}: missing")
        elif count == 0 and table not in MAY_BE_EMPTY:
            problems.append(f"{table}: empty")
    return problems


def print_rows(title: str, rows: dict[str, int | None]) -> None:
    print(f"\n{title}", flush=True)
    width = max(map(len, rows), default=0)
    for table, count in rows.items():
        verdict = ("MISSING" if count is None else f"{count:>8}"
                   + ("" if count else "  EMPTY" + (f" (allowed: {MAY_BE_EMPTY[table]})"
                                                    if table in MAY_BE_EMPTY else "")))
        print(f"  {table:<{width}}  {verdict}", flush=True)


def summarize(runs: list[DbtRun]) -> None:
    print(f"\ndbt_hubspot {hubspot_version()}:", flush=True)
    for run in runs:
        built, passed = run.models.get("success", 0), run.tests.get("pass", 0)
        others = {**{f"models {k}": v for k, v in run.models.items() if k != "success"},
                  **{f"tests {k}": v for k, v in run.tests.items() if k != "pass"}}
        extra = "".join(f", {k}: {v}" for k, v in others.items())
        print(f"  {run.label}: {built} models built, {passed} tests passed{extra}", flush=True)


# -- the whole check -----------------------------------------------------------------------

def check(contacts: int, server: str, name: str, summary_file: Path | None) -> int:
    from hubspot_emulator.testing import spawn_emulator

    check_ready()
    url = database_url(server, name)
    step(f"PostgreSQL database {name} (made again on every run); emulator portal of "
         f"{contacts} contacts")
    recreate_database(server, name)
    with spawn_emulator(token=TOKEN, contacts=contacts) as emulator:
        isolate_environment(url, emulator.url)
        import django

        django.setup()
        if not layer_available():
            raise NotReady("this tree has no Fivetran layer (build_hubspot_views --layout "
                           "fivetran)")
        fill_mirror(emulator.url)
    step("build the Fivetran layer: manage.py build_hubspot_views --layout fivetran")
    schema = build_layer()
    env, output = dbt_environment(url), OUTPUT / name
    layer = {"hubspot_database": name, "hubspot_schema": schema}
    runs = [run_dbt(label, {**layer, "hubspot_service_enabled": service}, env, output)
            for label, service in (("service off", False), ("service on", True))]
    listed = SOURCE_TABLES + SERVICE_TABLES
    unlisted = tuple(sorted(set().union(*(run.sources_read for run in runs)) - set(listed)))
    if unlisted:
        print(f"\nread by this dbt_hubspot but not listed here: {', '.join(unlisted)}")
    sources = source_rows(schema, listed + unlisted)
    print_rows(f"source tables in {schema} (rows)", sources)
    print_rows("staging models, service on (rows)", dict(runs[-1].staging_rows))
    summarize(runs)
    problems = (table_problems(sources) + table_problems(dict(runs[-1].staging_rows))
                + [f"{run.label}: {failure}" for run in runs for failure in run.failed])
    if summary_file is not None:
        write_summary(summary_file, runs, sources, problems)
    print(f"\n{len(problems)} problem(s)" + "".join(f"\n  {p}" for p in problems), flush=True)
    return 1 if problems else 0


def write_summary(path: Path, runs: list[DbtRun], sources: dict, problems: list[str]) -> None:
    path.write_text(json.dumps({
        "dbt_hubspot": hubspot_version(),
        "runs": {run.label: {"models": run.models, "tests": run.tests,
                             "staging_rows": run.staging_rows} for run in runs},
        "sources": sources, "problems": problems}, indent=1))


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


@contextmanager
def not_ready_exits():
    try:
        yield
    except NotReady as reason:
        print(f"dbt-hubspot: not ready: {reason}", file=sys.stderr)
        sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("run", help="the check (the default)")
    commands.add_parser("setup", help=f"create {DBT_VENV.name} with dbt 1.11")
    packages = commands.add_parser("packages", help="fill dbt_packages/")
    packages.add_argument("--from-git", type=Path, metavar="DIR",
                          help="export each package's tag from git clones in DIR (no hub)")
    for options, given in ((parser, None), (run, argparse.SUPPRESS)):
        # `run`'s own options only when given: its defaults would undo the ones before `run`.
        options.add_argument("--contacts", type=int, default=given or 1000,
                             help="portal size (default 1000)")
        options.add_argument("--postgres", default=given or DEFAULT_POSTGRES,
                             help=f"the PostgreSQL server (default {DEFAULT_POSTGRES})")
        options.add_argument("--database", default=given or DEFAULT_DATABASE,
                             help=f"the database to make (default {DEFAULT_DATABASE})")
        options.add_argument("--summary-file", type=Path, default=given,
                             help="write the results as JSON")
    args = parser.parse_args(argv)
    with not_ready_exits():
        if args.command == "setup":
            setup_dbt()
        elif args.command == "packages":
            install_packages(args.from_git)
        else:
            sys.exit(check(args.contacts, args.postgres, args.database, args.summary_file))


if __name__ == "__main__":
    main()
