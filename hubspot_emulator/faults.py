"""Fault injection: scripted or random failures, decided before the real handler runs, so
a faulted request changes nothing.

Kinds: an HTTP status ("429", "500", "502", "503", "504", any other 4xx/5xx), "html_503",
"malformed_json" (200 with truncated JSON), "slow" (delay, then the real answer), "drop" (close
the connection without answering) and "pass" (let one request through, for scripts).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

KINDS = {"429", "500", "502", "503", "504", "html_503", "malformed_json", "slow", "drop", "pass"}


@dataclass
class Fault:
    kind: str
    seconds: float = 0.0


@dataclass
class FaultConfig:
    script: list[Fault] = field(default_factory=list)
    rate: float = 0.0
    kinds: list[str] = field(default_factory=lambda: ["429", "500", "503"])
    method: str | None = None
    path_prefix: str | None = None
    slow_seconds: float = 1.0


def _valid_kind(kind: str) -> bool:
    return kind in KINDS or (kind.isdigit() and 400 <= int(kind) <= 599)


class FaultInjector:
    def __init__(self) -> None:
        self.config = FaultConfig()
        self.rng = random.Random(1)
        self.injected = 0

    def configure(self, body: dict) -> None:
        """Replace the fault configuration (body of `POST /_emulator/faults`)."""
        script = [Fault(str(s.get("kind")), float(s.get("seconds", 1.0)))
                  for s in body.get("script") or []]
        kinds = [str(k) for k in body.get("kinds") or ["429", "500", "503"]]
        for kind in [f.kind for f in script] + kinds:
            if not _valid_kind(kind):
                raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(KINDS)}")
        match = body.get("match") or {}
        self.config = FaultConfig(script, float(body.get("rate") or 0.0), kinds,
                                  (match.get("method") or "").upper() or None,
                                  match.get("path_prefix"), float(body.get("seconds", 1.0)))
        self.rng = random.Random(body.get("seed", 1))

    def clear(self) -> None:
        self.config = FaultConfig()

    def pick(self, method: str, path: str) -> Fault | None:
        """The fault for this request, or None. Each matching request consumes a script step."""
        cfg = self.config
        if cfg.method and cfg.method != method.upper():
            return None
        if cfg.path_prefix and not path.startswith(cfg.path_prefix):
            return None
        if cfg.script:
            fault = cfg.script.pop(0)
        elif cfg.rate > 0 and self.rng.random() < cfg.rate:
            fault = Fault(self.rng.choice(cfg.kinds), cfg.slow_seconds)
        else:
            return None
        if fault.kind == "pass":
            return None
        self.injected += 1
        return fault
