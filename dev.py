#!/usr/bin/env python3
"""One entry point for a fresh clone: sets up .venv, then runs a task.

    python3 dev.py demo    # set up, run the main job on a local emulator into var/demo.sqlite3
    python3 dev.py test    # set up, lint, run the test suite on SQLite (+ PostgreSQL if reachable)
    python3 dev.py bench   # set up, run the benchmarks in bench/
    python3 dev.py dbt-hubspot  # set up, run fivetran/dbt_hubspot on the Fivetran layer

Only the standard library is used here: this runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
STAMP = VENV / ".installed"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test"


# What setup installs, each in editable mode: the product with its dev extra, and the
# emulator, a distribution of its own that the product's wheel leaves out.
# Each target with the file whose change means installing again.
DISTRIBUTIONS = {".[dev]": "pyproject.toml",
                 "./hubspot_emulator": "hubspot_emulator/pyproject.toml"}
# What else the stamp stands for: a .venv set up before a step was added gets it once.
SETUP_STEPS = b"install, compile"


def setup() -> None:
    """Create .venv, install the project with its dev extra and the emulator, and compile
    them to bytecode: once per change of their pyproject files (or of SETUP_STEPS)."""
    if sys.version_info < (3, 11):  # noqa: UP036 - runs before the venv exists
        sys.exit("Python 3.11 or newer is required")
    if not PY.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(b"".join((ROOT / manifest).read_bytes()
                                     for manifest in DISTRIBUTIONS.values())
                            + SETUP_STEPS).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    print("installing dependencies into .venv ...", flush=True)
    editable = [arg for target in DISTRIBUTIONS for arg in ("-e", target)]
    install(editable)
    compile_installed()
    STAMP.write_text(digest)


def install(requirements: list[str]) -> None:
    """Through uv (itself installed from PyPI into .venv), which installs the same packages
    several times faster than pip: most of a fresh clone's set-up, so of every CI run. uv
    reads no pip configuration (pip.conf, PIP_INDEX_URL): where it cannot install from PyPI,
    pip does, as configured."""
    if succeeds([PY, "-m", "pip", "install", "-q", "uv"]) and succeeds(
            [PY, "-m", "uv", "pip", "install", "-q", "--python", PY, *requirements]):
        return
    print("uv could not install them: installing with pip ...", flush=True)
    run([PY, "-m", "pip", "install", "-q", "--upgrade", "pip"])
    run([PY, "-m", "pip", "install", "-q", *requirements])


def compile_installed() -> None:
    """Compile what was installed to bytecode, once. Every Python process imports Django,
    Celery and httpx, and the tests start hundreds (manage.py, Celery workers, the children
    of --parallel): uv installs without compiling, and where PYTHONDONTWRITEBYTECODE is set
    (as on CI) no process keeps what it compiled, so each compiled them again: more than a
    second of CPU per process. A file that does not compile (none we import) is left as it is."""
    print("compiling the installed packages ...", flush=True)
    packages = VENV / ("Lib" if os.name == "nt" else "lib")
    subprocess.run([str(PY), "-m", "compileall", "-q", "-j", "0", str(packages)],
                   cwd=ROOT, stdout=subprocess.DEVNULL)


def succeeds(cmd: list) -> bool:
    return subprocess.run([str(c) for c in cmd], cwd=ROOT).returncode == 0


def run(cmd: list, env: dict | None = None) -> None:
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def task_test(args: list[str]) -> None:
    require_pg = "--require-postgres" in args
    pytest_args = [a for a in args if a != "--require-postgres"]
    run([PY, "-m", "ruff", "check", "."])
    # The browser test (tests/web/test_browser.py) drives Debian's Chromium: installed here
    # with apt-get when missing; a failed install stops the run, saying why.
    print("checking Chromium for the browser test ...", flush=True)
    run([PY, "tests/web/browser_setup.py"])
    backends = [("SQLite", "sqlite:///:memory:")]
    if postgres_reachable():
        backends.append(("PostgreSQL", os.environ.get("TEST_POSTGRES_URL", POSTGRES_URL)))
    elif require_pg:
        sys.exit("PostgreSQL is required (--require-postgres) but 127.0.0.1:5432 is not reachable")
    else:
        print("PostgreSQL not reachable on 127.0.0.1:5432: running on SQLite only", flush=True)
    for n, (name, url) in enumerate(backends):
        # The emulator's own suite (marker `emulator`) and tests that use no test database
        # (marker `once`: the demo's own files) run on the first database only.
        only = [] if n == 0 or "-m" in pytest_args else ["-m", "not emulator and not once"]
        print(f"\n=== test suite on {name}{' (the product half)' if only else ''} ===",
              flush=True)
        # pytest exits 5 when no test ran; run() turns every non-zero exit into a failure.
        # No .env (HUBSPOT_MIRROR_ENV_FILE empty): a developer's real token, account or
        # tuning must not leak into the tests or the processes they start.
        # Three workers on two cores (tests wait on the emulator, the database and child
        # processes as much as they compute); modules that share something outside their own
        # database (Redis keys, var/demo.sqlite3, .env) are one `xdist_group`, run in turn.
        workers = [] if any(a.startswith(("-n", "--numprocesses", "-p")) for a in pytest_args) \
            else ["-n", "3", "--dist", "loadgroup"]
        run([PY, "-m", "pytest", *workers, *only, *pytest_args],
            env={**os.environ, "DATABASE_URL": url, "HUBSPOT_MIRROR_ENV_FILE": ""})


def task_demo(args: list[str]) -> None:
    run([PY, "-m", "devtools.demo", *args])


def task_bench(args: list[str]) -> None:
    run([PY, "-m", "bench", *args])


def task_dbt_hubspot(args: list[str]) -> None:
    run([PY, "-m", "devtools.dbt_hubspot", *args])


TASKS = {"test": task_test, "demo": task_demo, "bench": task_bench, "dbt-hubspot": task_dbt_hubspot}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        sys.exit(__doc__)
    setup()
    TASKS[sys.argv[1]](sys.argv[2:])
