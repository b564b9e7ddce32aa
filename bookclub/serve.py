"""`make run`: uvicorn serving the app for a first look, on this machine or (LAN=1) to phones nearby.

It differs from a bare `uvicorn bookclub.asgi:application` in three ways:
- forwarded headers (X-Forwarded-For, -Proto) are trusted only when BEHIND_PROXY is on; uvicorn's own
  default trusts them from 127.0.0.1, so a local proxy passing a client's header through would let
  that client pick its address and slip past lockouts and rate limits;
- with LAN=1 it listens on the machine's LAN address, allows it as a host and sets SITE_URL, so the
  join link and QR code the presenter shows open on a phone;
- "Serving on ..." is printed once the port is bound, with where the admin is and what to do first.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys

import uvicorn


def lan_address() -> str | None:
    """The address other machines on the network reach this one at: the source address of a route
    to a public address (a UDP "connection" sends nothing)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere, only looked up
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def behind_proxy() -> bool:
    # Not bookclub.settings.envbool: importing the settings here would freeze them before LAN=1 adds
    # its host. settings.py refuses any value it cannot read when the app loads them.
    return os.environ.get("BEHIND_PROXY", "").strip().lower() in {"1", "true", "yes", "on"}


def uvicorn_config(host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        "bookclub.asgi:application",
        host=host,
        port=port,
        proxy_headers=behind_proxy(),
        timeout_graceful_shutdown=10,
        log_level=os.environ.get("UVICORN_LOG_LEVEL", "info"),
    )


def banner(url: str) -> str:
    return "\n".join(
        [
            f"Serving on {url} (Ctrl-C stops it)",
            f"  Admin (guides, editors): {url}admin/ - log in as the 'editor' printed above",
            f"  First: open {url}, Sign up, then 'New club'; schedule a meeting on the demo guide",
            "  and press 'Start meeting'. Phones join with the link or QR code the presenter shows"
            + ("." if "127.0.0.1" not in url else " (use LAN=1 so that phones can reach it)."),
        ]
    )


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self.url = url

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started:  # the port is bound: only now can a browser connect
            print(banner(self.url), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--lan", action="store_true", help="serve to the local network (LAN=1)")
    args = parser.parse_args(argv)
    host = args.host
    shown = host
    if args.lan:
        address = lan_address()
        if address is None:
            print("LAN=1: this machine has no LAN address; serving on 127.0.0.1 only.", file=sys.stderr)
        else:
            host, shown = "0.0.0.0", address
            hosts = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
            os.environ["ALLOWED_HOSTS"] = ",".join([*(hosts or ["127.0.0.1", "localhost"]), address])
            os.environ.setdefault("SITE_URL", f"http://{address}:{args.port}")
    url = f"http://{shown}:{args.port}/"
    server = _Server(uvicorn_config(host, args.port), url)
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
