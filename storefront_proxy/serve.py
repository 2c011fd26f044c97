"""The web server the Procfile runs: waitress, with deadlines for reading a request.

    python -m storefront_proxy.serve [--host 0.0.0.0] [--port $PORT] [--threads 8] [--access-log]

A thread-per-connection server (gunicorn's sync and gthread workers) gives a thread to a connection as soon as
its first bytes arrive, so ten clients that send a header line every few seconds hold every thread and nothing
else is answered, Shopify's webhooks included. waitress reads each request whole on its event loop before a
thread takes it (https://docs.pylonsproject.org/projects/waitress/en/stable/design.html); this server also closes
a connection whose headers take longer than ``HEADER_READ_SECONDS`` or whose body takes longer than
``BODY_READ_SECONDS``, so slow clients cost a socket for a few seconds and never a thread.

One process per web instance; scale by running more instances behind the platform's router (README,
"Running in production").
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from waitress.server import TcpWSGIServer

from storefront_proxy.webhooks import WEBHOOK_MAX_BYTES

log = logging.getLogger("storefront_proxy.serve")

# A request's line and headers must have arrived this long after its first byte, its body this long after that.
HEADER_READ_SECONDS = 10.0
BODY_READ_SECONDS = 30.0
# An idle kept-alive connection is closed after this long.
IDLE_SECONDS = 30
THREADS = 8
# After SIGTERM, requests already read (or waiting for a thread) are answered for up to this long.
DRAIN_SECONDS = 20.0
CONNECTION_LIMIT = 500
# The largest body any route takes (a webhook), and headers well above what Shopify's proxy and admin send.
MAX_BODY_BYTES = WEBHOOK_MAX_BYTES + 64 * 1024
MAX_HEADER_BYTES = 64 * 1024


class ReadDeadlineServer(TcpWSGIServer):
    """waitress's server, closing connections that send a request too slowly.

    waitress's own ``channel_timeout`` only closes connections that send nothing at all; a client sending a byte
    every few seconds would hold its connection (and the connection limit) forever.
    """

    def __init__(
        self,
        *args: Any,
        header_seconds: float = HEADER_READ_SECONDS,
        body_seconds: float = BODY_READ_SECONDS,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.header_seconds = header_seconds
        self.body_seconds = body_seconds
        # The request being read on a connection → when it was first seen being read.
        self._reading_since: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        for channel in list(self.active_channels.values()):
            parser = channel.request  # the request still being read, if any
            if parser is None or channel.requests or channel.will_close:
                continue
            started = self._reading_since.setdefault(parser, now)
            allowed = self.header_seconds + (self.body_seconds if parser.headers_finished else 0)
            if now - started > allowed:
                log.info("closing a connection that sent its request too slowly (%.0f s)", now - started)
                channel.will_close = True

    def run(self) -> None:
        """waitress's loop; on SIGTERM (SystemExit) or Ctrl-C, ``drain`` instead of dropping queued requests."""
        try:
            self.asyncore.loop(
                timeout=self.adj.asyncore_loop_timeout, map=self._map, use_poll=self.adj.asyncore_use_poll
            )
        except (SystemExit, KeyboardInterrupt):
            self.drain()

    def drain(self, grace_seconds: float = DRAIN_SECONDS) -> None:
        """Take no new connections; finish the requests already read or waiting for a thread and send their
        answers (waitress's own stop cancels the waiting ones unanswered), for up to ``grace_seconds``."""
        self.accepting = False  # readable() turns the listening socket away
        deadline = time.monotonic() + grace_seconds
        while time.monotonic() < deadline and self._busy():
            self.asyncore.loop(timeout=0.05, map=self._map, use_poll=self.adj.asyncore_use_poll, count=1)
        if self._busy():
            log.warning("stopping with requests still unanswered after %.0f s", grace_seconds)
        self.task_dispatcher.shutdown(cancel_pending=True, timeout=1)

    def _busy(self) -> bool:
        """Whether a connection has a request being served or queued, or an answer not yet sent."""
        return any(channel.requests or channel.total_outbufs_len for channel in list(self.active_channels.values()))


class AccessLog:
    """WSGI middleware logging method, path, status and time of each request: never the query string, which
    carries the app proxy's signature, or anything else a request sends."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        status_seen: list[str] = []

        def recording_start_response(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            status_seen.append(status.split(" ", 1)[0])
            return start_response(status, headers, *args)

        try:
            return self.app(environ, recording_start_response)
        finally:
            log.info(
                "%s %s %s %.0f ms",
                environ.get("REQUEST_METHOD", "-"),
                environ.get("PATH_INFO", "-"),
                status_seen[0] if status_seen else "-",
                (time.perf_counter() - started) * 1000,
            )


def make_server(
    app: Callable[..., Iterable[bytes]],
    host: str,
    port: int,
    threads: int = THREADS,
    *,
    header_seconds: float = HEADER_READ_SECONDS,
    body_seconds: float = BODY_READ_SECONDS,
) -> ReadDeadlineServer:
    """The server for ``app`` on ``host:port`` (port 0: a free one, see ``effective_port``)."""
    return ReadDeadlineServer(
        app,
        header_seconds=header_seconds,
        body_seconds=body_seconds,
        host=host,
        port=port,
        threads=threads,
        connection_limit=CONNECTION_LIMIT,
        channel_timeout=IDLE_SECONDS,
        cleanup_interval=1,
        max_request_body_size=MAX_BODY_BYTES,
        max_request_header_size=MAX_HEADER_BYTES,
        ident="self-service",
    )


def main(argv: list[str] | None = None) -> int:
    from storefront_proxy.app import create_app
    from storefront_proxy.settings import load_settings_or_exit

    settings = load_settings_or_exit()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    parser.add_argument("--port", type=int, default=settings.port, help="port (default: PORT, else 8000)")
    parser.add_argument("--threads", type=int, default=THREADS, help=f"request threads (default {THREADS})")
    parser.add_argument("--access-log", action="store_true", help="log each request's method, path and status")
    parser.add_argument("--header-timeout", type=float, default=HEADER_READ_SECONDS, help=argparse.SUPPRESS)
    parser.add_argument("--body-timeout", type=float, default=BODY_READ_SECONDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    app: Callable[..., Iterable[bytes]] = create_app(settings)
    if args.access_log:
        app = AccessLog(app)
    server = make_server(
        app, args.host, args.port, args.threads, header_seconds=args.header_timeout, body_seconds=args.body_timeout
    )
    # The platform (or honcho) stops the web with SIGTERM: leave the loop and let running requests finish.
    signal.signal(signal.SIGTERM, _stop)
    log.info("serving on http://%s:%s", server.effective_host, server.effective_port)
    try:
        server.run()  # returns once drained after SIGTERM or Ctrl-C
    finally:
        server.close()
    return 0


def _stop(*_: object) -> None:
    raise SystemExit(0)


if __name__ == "__main__":
    raise SystemExit(main())
