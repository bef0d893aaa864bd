"""Fault injection: scripted or random failures, decided before the real handler runs, so
a faulted request changes nothing.

Kinds that answer instead of the handler (nothing changes):
- an HTTP status ("429", "500", "502", "503", "504", any other 4xx/5xx) with HubSpot's JSON
  error body; "html_503" (a proxy's HTML page); "malformed_json" (200 with truncated JSON);
  "drop" (close the connection without answering);
- "empty_object": 200 with the body `{}`;
- "no_content": 204 with no body (what some routes answer for "nothing there yet");
- "body": 200 with a caller-given JSON body (step `{"kind": "body", "body": <any JSON>}`), for
  shapes such as `{"results": "x"}` or `{"results": [], "paging": "x"}`;
- "retry_after": 429 TEN_SECONDLY_ROLLING with `Retry-After: <seconds>` (step `seconds`);
- "echo_auth": an error (step `status`, default 500) whose `message` echoes the request's
  `Authorization` header, as some buggy proxies do; a client must not log it verbatim.

Kinds that let the real handler answer (reads only, so they change nothing either):
- "slow": delay by `seconds`, then the real answer;
- "repeat_cursor": the real answer with `paging.next.after` (and `link`) replaced by the
  `after` the request sent (query param, or the body field of a search); unchanged without one;
- "ignore_filter": a search answered as if its body had no `filterGroups`;
- "ids_as_text": a search that compares and sorts `hs_object_id` as text, not as a number
  (filters and sort: "9" > "10"), a breach of HubSpot's contract that only shows where ids
  differ in length (reset `id_bases`);
- "out_of_order": the real answer with its `results` in reverse order (a page that breaks
  the sort it was asked for);
- "pass": let one request through untouched (for scripts);
- "expire_tokens": every issued OAuth access token expires now (an access token running out
  mid-run); the request itself then answers as its token now does: 401
  EXPIRED_AUTHENTICATION for an OAuth access token, the real answer for the static token.

Step fields (`seconds`, `status`, `body`) default, for random faults, to the same top-level
fields of the configuration.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

KINDS = {"429", "500", "502", "503", "504", "html_503", "malformed_json", "slow", "drop", "pass",
         "empty_object", "no_content", "body", "repeat_cursor", "ignore_filter", "retry_after",
         "echo_auth", "expire_tokens", "ids_as_text", "out_of_order"}
# the real handler still runs (after `expire_tokens`, unless the request's token expired)
HANDLER_ANSWERS = {"slow", "repeat_cursor", "ignore_filter", "expire_tokens", "ids_as_text",
                   "out_of_order"}
DEFAULT_KINDS = ["429", "500", "503"]


@dataclass
class Fault:
    kind: str
    seconds: float = 1.0
    status: int = 500
    body: Any = None


@dataclass
class FaultConfig:
    script: list[Fault] = field(default_factory=list)
    rate: float = 0.0
    kinds: list[str] = field(default_factory=lambda: list(DEFAULT_KINDS))
    method: str | None = None
    path_prefix: str | None = None
    defaults: Fault = field(default_factory=lambda: Fault("pass"))  # rated faults' fields


def _valid_kind(kind: str) -> bool:
    return kind in KINDS or (kind.isdigit() and 400 <= int(kind) <= 599)


def _fault(kind: str, step: dict, defaults: Fault) -> Fault:
    """A fault of `kind` with fields from `step`, else `defaults`; rejects impossible ones."""
    if not _valid_kind(kind):
        raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(KINDS)}")
    if kind == "body" and "body" not in step:
        raise ValueError('fault kind "body" needs a "body" (any JSON) to answer with')
    status = int(step.get("status", defaults.status))
    if not 400 <= status <= 599:
        raise ValueError(f"fault status must be 400-599, got {status}")
    seconds = float(step.get("seconds", defaults.seconds))
    if not 0 <= seconds < math.inf:  # also a sleep and a Retry-After header
        raise ValueError(f"fault seconds must be finite and not negative, got {seconds}")
    return Fault(kind, seconds, status, step.get("body", defaults.body))


class FaultInjector:
    def __init__(self) -> None:
        self.config = FaultConfig()
        self.rng = random.Random(1)
        self.injected = 0

    def configure(self, body: dict) -> None:
        """Replace the fault configuration (body of `POST /_emulator/faults`)."""
        defaults = _fault("pass", body, Fault("pass"))
        script = [_fault(str(s.get("kind")), s, defaults) for s in body.get("script") or []]
        kinds = [str(k) for k in body.get("kinds") or DEFAULT_KINDS]
        for kind in kinds:  # checked now, not at the first unlucky request
            _fault(kind, body, defaults)
        match = body.get("match") or {}
        self.config = FaultConfig(script, float(body.get("rate") or 0.0), kinds,
                                  (match.get("method") or "").upper() or None,
                                  match.get("path_prefix"), defaults)
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
            d = cfg.defaults
            fault = Fault(self.rng.choice(cfg.kinds), d.seconds, d.status, d.body)
        else:
            return None
        if fault.kind == "pass":
            return None
        self.injected += 1
        return fault
