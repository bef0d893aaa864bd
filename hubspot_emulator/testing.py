"""Run an emulator for tests (background thread) or benchmarks (subprocess)."""

from __future__ import annotations

import asyncio
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from .control import EmulatorControl
from .server import Emulator, start_site

READY_PREFIX = "HubSpot emulator listening on "


@dataclass
class RunningEmulator:
    url: str  # e.g. http://127.0.0.1:54321
    token: str
    control: EmulatorControl
    emulator: Emulator | None = None  # the in-process state (thread mode only)
    process: subprocess.Popen | None = None  # subprocess mode only


@contextmanager
def start_emulator(token: str = "test-token", host: str = "127.0.0.1", port: int = 0,
                   **reset_kwargs) -> Iterator[RunningEmulator]:
    """Serve an emulator from a background thread on a free loopback port."""
    emu = Emulator(token, **reset_kwargs)
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
    running = RunningEmulator(url, token, EmulatorControl(url), emulator=emu)
    try:
        yield running
    finally:
        running.control.close()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


@contextmanager
def spawn_emulator(token: str = "test-token", host: str = "127.0.0.1", port: int = 0,
                   contacts: int = 1000, seed: int = 1, extra_args: list[str] | None = None,
                   timeout: float = 60.0) -> Iterator[RunningEmulator]:
    """Run `python -m hubspot_emulator` as a subprocess (its own core) until the block ends."""
    cmd = [sys.executable, "-m", "hubspot_emulator", "--host", host, "--port", str(port),
           "--token", token, "--contacts", str(contacts), "--seed", str(seed),
           *(extra_args or [])]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env)
    try:
        url = _wait_ready(proc, timeout)
        running = RunningEmulator(url, token, EmulatorControl(url), process=proc)
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
