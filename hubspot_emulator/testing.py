"""Run an emulator for tests (background thread) or benchmarks (subprocess)."""

from __future__ import annotations

import asyncio
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from .control import EmulatorControl
from .server import start_site
from .state import Emulator

READY_PREFIX = "HubSpot emulator listening on "
TOKEN_ENV = "HUBSPOT_EMULATOR_TOKEN"
CONTROL_TOKEN_ENV = "HUBSPOT_EMULATOR_CONTROL_TOKEN"
CLIENT_ID_ENV = "HUBSPOT_EMULATOR_CLIENT_ID"
CLIENT_SECRET_ENV = "HUBSPOT_EMULATOR_CLIENT_SECRET"
DEFAULT_CLIENT_ID = "emulator-app"  # the webhooks journal app's client id in tests
EMULATOR_HOME = str(Path(__file__).resolve().parent.parent)  # the folder that holds the package


@dataclass
class RunningEmulator:
    url: str  # e.g. http://127.0.0.1:54321
    token: str
    control: EmulatorControl  # already carries the control token
    emulator: Emulator | None = None  # the in-process state (thread mode only)
    process: subprocess.Popen | None = None  # subprocess mode only
    control_token: str | None = None  # None: the control surface takes `token`
    # The app's client credentials (client-credentials grant, webhooks journal); None: none.
    client_id: str | None = None
    client_secret: str | None = None

    @property
    def portal_id(self) -> int:
        """The portal's Hub ID as configured now (`portal_id`, `--portal-id`; a reset that
        gives one changes it)."""
        if self.emulator is not None:
            return self.emulator.portal_id
        return self.control.health()["portal_id"]


@contextmanager
def start_emulator(token: str = "test-token", host: str = "127.0.0.1", port: int = 0,
                   control_token: str | None = None, client_id: str | None = DEFAULT_CLIENT_ID,
                   client_secret: str | None = None,
                   **reset_kwargs) -> Iterator[RunningEmulator]:
    """Serve an emulator from a background thread on a free loopback port. The app's client
    id defaults to `emulator-app`, its secret to a random one (`running.client_secret`);
    `client_id=None` configures no app."""
    client_secret = _secret_for(client_id, client_secret)
    emu = Emulator(token, control_token, client_id=client_id, client_secret=client_secret,
                   **reset_kwargs)
    loop = asyncio.new_event_loop()
    started: queue.Queue = queue.Queue()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            runner, bound = loop.run_until_complete(start_site(emu, host, port))
        except Exception as err:  # reported to the caller below
            started.put(err)
            return
        started.put(bound)
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, name="hubspot-emulator", daemon=True)
    thread.start()
    bound = started.get(timeout=30)
    if isinstance(bound, Exception):
        raise bound
    url = f"http://{host}:{bound}"
    control = EmulatorControl(url, token=control_token or token)
    running = RunningEmulator(url, token, control, emulator=emu, control_token=control_token,
                              client_id=client_id, client_secret=client_secret)
    try:
        yield running
    finally:
        running.control.close()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


@contextmanager
def spawn_emulator(token: str = "test-token", host: str = "127.0.0.1", port: int = 0,
                   contacts: int = 1000, seed: int = 1, extra_args: list[str] | None = None,
                   timeout: float = 60.0, control_token: str | None = None,
                   client_id: str | None = DEFAULT_CLIENT_ID,
                   client_secret: str | None = None) -> Iterator[RunningEmulator]:
    """Run `python -m hubspot_emulator` as a subprocess (its own core) until the block ends
    (the app's client credentials as in `start_emulator`, passed through the environment)."""
    client_secret = _secret_for(client_id, client_secret)
    cmd = [sys.executable, "-m", "hubspot_emulator", "--host", host, "--port", str(port),
           "--contacts", str(contacts), "--seed", str(seed), *(extra_args or [])]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=_child_env(token, control_token, client_id, client_secret))
    try:
        url = _wait_ready(proc, timeout)
        control = EmulatorControl(url, token=control_token or token)
        running = RunningEmulator(url, token, control, process=proc, control_token=control_token,
                                  client_id=client_id, client_secret=client_secret)
        try:
            yield running
        finally:
            running.control.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _secret_for(client_id: str | None, client_secret: str | None) -> str | None:
    if not client_id:
        return None
    return client_secret or "emu-" + secrets.token_urlsafe(24)


def _child_env(token: str, control_token: str | None, client_id: str | None = None,
               client_secret: str | None = None) -> dict[str, str]:
    """Tokens go through the environment: argv is readable by every user (`ps`)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", TOKEN_ENV: token}
    # The child runs this very copy of the emulator, installed or not, wherever it starts.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (EMULATOR_HOME, env.get("PYTHONPATH"))))
    env.pop(CONTROL_TOKEN_ENV, None)  # an inherited one would lock our own control client out
    if control_token:
        env[CONTROL_TOKEN_ENV] = control_token
    env.pop(CLIENT_ID_ENV, None)
    env.pop(CLIENT_SECRET_ENV, None)
    if client_id and client_secret:
        env[CLIENT_ID_ENV], env[CLIENT_SECRET_ENV] = client_id, client_secret
    return env


def _wait_ready(proc: subprocess.Popen, timeout: float) -> str:
    """Read the ready line, then confirm with /_emulator/health."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            if proc.poll() is not None:
                raise RuntimeError(f"emulator exited with {proc.returncode}") from None
            continue
        if line.startswith(READY_PREFIX):
            url = line[len(READY_PREFIX):].strip()
            httpx.get(f"{url}/_emulator/health", timeout=10).raise_for_status()
            return url
    raise TimeoutError("emulator did not become ready")
