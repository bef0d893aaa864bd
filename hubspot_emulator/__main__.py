"""`python -m hubspot_emulator --token T [--port 8001 --contacts 100000 ...]`

The tokens may instead come from `HUBSPOT_EMULATOR_TOKEN` / `HUBSPOT_EMULATOR_CONTROL_TOKEN`,
which keeps them out of the process list; so may the app's client credentials for the webhooks
journal (`--client-id` / `--client-secret`: `HUBSPOT_EMULATOR_CLIENT_ID` /
`HUBSPOT_EMULATOR_CLIENT_SECRET`)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

from . import PORTAL_ID
from .server import start_site
from .state import DEFAULT_EMAIL_EVENTS, DEFAULT_MAX_URL, Emulator
from .testing import (
    CLIENT_ID_ENV,
    CLIENT_SECRET_ENV,
    CONTROL_TOKEN_ENV,
    READY_PREFIX,
    TOKEN_ENV,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m hubspot_emulator",
                                description="A local emulation of HubSpot's CRM API.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001, help="0 picks a free port")
    p.add_argument("--token", help=f"the Bearer token clients must send (default: ${TOKEN_ENV})")
    p.add_argument("--control-token",
                   help=f"a separate token for /_emulator/* (default: ${CONTROL_TOKEN_ENV}, "
                        "else --token)")
    p.add_argument("--client-id",
                   help=f"the app's client id for the client-credentials grant (webhooks "
                        f"journal; default: ${CLIENT_ID_ENV}; none: the grant answers "
                        "BAD_CLIENT_ID)")
    p.add_argument("--client-secret",
                   help=f"the app's client secret (default: ${CLIENT_SECRET_ENV})")
    p.add_argument("--app-scopes", default=None,
                   help="comma-separated scopes the app may be granted (default: every scope)")
    p.add_argument("--contacts", type=int, default=1000)
    p.add_argument("--email-events", type=int, default=DEFAULT_EMAIL_EVENTS,
                   help="generated email events (computed on demand: 1,000,000 costs no memory)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--portal-id", type=int, default=PORTAL_ID,
                   help="the portal's Hub ID in replies, events and files (default: "
                        f"{PORTAL_ID}); two emulators run as two portals need two ids")
    p.add_argument("--rate-limit", default="none",
                   help="none | starter | pro | enterprise")
    p.add_argument("--daily-limit", type=int, default=None)
    p.add_argument("--search-lag-ms", type=int, default=0)
    p.add_argument("--fault-rate", type=float, default=0.0)
    p.add_argument("--fault-kinds", default="429,500,503")
    p.add_argument("--max-url-length", type=int, default=DEFAULT_MAX_URL)
    args = p.parse_args(argv)
    args.token = args.token or os.environ.get(TOKEN_ENV)
    args.control_token = args.control_token or os.environ.get(CONTROL_TOKEN_ENV) or None
    if not args.token:
        p.error(f"--token or the environment variable {TOKEN_ENV} is required")
    args.client_id = args.client_id or os.environ.get(CLIENT_ID_ENV) or None
    args.client_secret = args.client_secret or os.environ.get(CLIENT_SECRET_ENV) or None
    if bool(args.client_id) != bool(args.client_secret):
        p.error("--client-id and --client-secret go together")
    if args.app_scopes is not None:
        args.app_scopes = [s.strip() for s in args.app_scopes.split(",") if s.strip()]
    return args


async def serve(args: argparse.Namespace) -> None:
    emu = Emulator(args.token, args.control_token, client_id=args.client_id,
                   client_secret=args.client_secret, app_scopes=args.app_scopes,
                   contacts=args.contacts, seed=args.seed, portal_id=args.portal_id,
                   email_events=args.email_events,
                   rate_limit=args.rate_limit, daily_limit=args.daily_limit,
                   search_lag_ms=args.search_lag_ms, max_url_length=args.max_url_length,
                   fault_rate=args.fault_rate,
                   fault_kinds=[k for k in args.fault_kinds.split(",") if k])
    runner, port = await start_site(emu, args.host, args.port)
    print(f"{READY_PREFIX}http://{args.host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
