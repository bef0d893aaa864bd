"""The aiohttp application and its one route table: `make_app` registers every handler
module's routes (each under both path families through `routes.serve`) behind the edge
middleware (`edge`). Only this module imports the handler modules, and none of them imports
it, so the handlers form no import circle (tests/emulator/test_import_graph.py keeps it so).
"""

from __future__ import annotations

from aiohttp import web

from . import (
    api_control,
    api_journal,
    api_meta,
    api_oauth,
    api_objects,
    api_writes,
    conversations,
    deal_splits,
    email_events,
    forms,
    legacy,
    lists,
    marketing,
    marketing_events,
    record_limits,
    settings_users,
    subscriptions,
    workflows,
)
from .edge import edge
from .handling import EMU
from .routes import ROUTE_ACCESS
from .state import Emulator

# The handler modules, in the order their routes are registered (aiohttp matches in order).
# legacy: the v1/v2 endpoints connectors still call.
# deal_splits before api_objects: `/crm/v3/objects/deals/splits/…` is not an object path.
ROUTE_MODULES = (api_control, api_meta, deal_splits, api_objects, api_writes, api_oauth, lists,
                 forms, workflows, marketing, subscriptions, legacy,  # legacy: the v1/v2 ones
                 email_events, marketing_events, settings_users, conversations, record_limits,
                 api_journal)


def make_app(emu: Emulator) -> web.Application:
    app = web.Application(middlewares=[edge], client_max_size=16 * 1024 * 1024)
    app[EMU] = emu
    app[ROUTE_ACCESS] = {}
    for module in ROUTE_MODULES:
        module.add_routes(app)
    app.on_cleanup.append(_stop_webhooks)
    return app


async def _stop_webhooks(app: web.Application) -> None:
    # The delivery task lives on this loop: end it (and its HTTP session) with the server.
    await app[EMU].webhooks.aclose()


async def start_site(emu: Emulator, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start serving; returns the runner and the bound port (useful with port 0)."""
    # Long request lines must reach our own 414 check instead of aiohttp's parser limit.
    runner = web.AppRunner(make_app(emu), access_log=None, max_line_size=1 << 20,
                           max_field_size=1 << 20)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    sockets = site._server.sockets if site._server else []
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, bound
