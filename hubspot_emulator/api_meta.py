"""Properties, owners, pipelines, associations v4 and schemas (filled in step 5)."""

from __future__ import annotations

from aiohttp import web


def add_routes(app: web.Application) -> None:
    pass
