"""Answers /health/ and /metrics before any other middleware.

Probes and scrapers address the process by whatever name reaches it (a pod's IP, a
container's name), rarely one in DJANGO_ALLOWED_HOSTS, and Django would answer 400 to each.
These two read-only answers never use the Host header, so they skip that check; every other
path goes through the normal stack.
"""

from __future__ import annotations

from ingestion.ops import health, metrics

PROBES = {"/health/": health.health, "/metrics": metrics.metrics}


class ProbeMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        view = PROBES.get(request.path_info)
        return view(request) if view else self.get_response(request)
