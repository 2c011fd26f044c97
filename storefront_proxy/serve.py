"""The web server the Procfile runs: gunicorn's processes, each serving with waitress and read deadlines.

    gunicorn --worker-class storefront_proxy.serve.WaitressWorker --workers 2 --threads 8 \
        'storefront_proxy.app:create_app()'

A thread-per-connection server (gunicorn's own sync and gthread workers) gives a thread to a connection as soon as
its first bytes arrive, so ten clients that send a header line every few seconds hold every thread and nothing
else is answered, Shopify's webhooks included. waitress reads each request whole on its event loop before a
thread takes it (https://docs.pylonsproject.org/projects/waitress/en/stable/design.html); this server also closes
a connection whose headers take longer than WEB_HEADER_TIMEOUT_SECONDS or whose body takes longer than
WEB_BODY_TIMEOUT_SECONDS more, so slow clients cost a socket for a few seconds and never a thread.

gunicorn keeps the processes: one per core (``--workers``), restarted when one dies, stopped gracefully. Its
documented extension point for that is a worker class (as uvicorn's UvicornWorker): ``WaitressWorker`` runs
waitress on gunicorn's listening socket and reports to gunicorn's master from waitress's maintenance tick.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from gunicorn.workers.base import Worker
from waitress.adjustments import Adjustments
from waitress.server import TcpWSGIServer

from storefront_proxy.services import find_services
from storefront_proxy.webhooks.verification import WEBHOOK_MAX_BYTES

log = logging.getLogger("storefront_proxy.serve")

# A request's line and headers must have arrived this long after its first byte, its body this long after that
# (the defaults of WEB_HEADER_TIMEOUT_SECONDS and WEB_BODY_TIMEOUT_SECONDS).
HEADER_READ_SECONDS = 10.0
BODY_READ_SECONDS = 30.0
# An idle kept-alive connection is closed after this long.
IDLE_SECONDS = 30
THREADS = 8
# After SIGTERM, requests already read (or waiting for a thread) are answered for up to this long (within
# gunicorn's graceful timeout of 30 s).
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
        # Called once a second from the event loop (gunicorn's heartbeat).
        self.on_tick: Callable[[], None] | None = None
        # The request being read on a connection → when it was first seen being read.
        self._reading_since: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        if self.on_tick is not None:
            self.on_tick()
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
    listener: socket.socket,
    threads: int = THREADS,
    *,
    header_seconds: float = HEADER_READ_SECONDS,
    body_seconds: float = BODY_READ_SECONDS,
    connection_limit: int = CONNECTION_LIMIT,
) -> ReadDeadlineServer:
    """The server for ``app`` on an already bound, listening ``listener`` (gunicorn's, or a test's)."""
    adjustments = Adjustments(
        sockets=[listener],
        threads=threads,
        connection_limit=connection_limit,
        channel_timeout=IDLE_SECONDS,
        cleanup_interval=1,
        max_request_body_size=MAX_BODY_BYTES,
        max_request_header_size=MAX_HEADER_BYTES,
        ident="self-service",
    )
    sockinfo = (listener.family, listener.type, listener.proto, listener.getsockname())
    return ReadDeadlineServer(
        app,
        None,
        True,
        listener,
        adj=adjustments,
        bind_socket=False,
        sockinfo=sockinfo,
        header_seconds=header_seconds,
        body_seconds=body_seconds,
    )


class WaitressWorker(Worker):
    """A gunicorn worker process serving with ``ReadDeadlineServer`` (waitress) on gunicorn's listening socket."""

    def run(self) -> None:
        if len(self.sockets) != 1:
            raise RuntimeError("WaitressWorker serves one --bind address")
        # The app's own log lines (storefront_proxy.*) go to stderr, as gunicorn's do; never query strings.
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        built = find_services(self.wsgi) if isinstance(self.wsgi, Flask) else None
        settings = built.settings if built else None
        app: Callable[..., Iterable[bytes]] = self.wsgi
        if self.cfg.accesslog:
            app = AccessLog(app)  # instead of gunicorn's access log, whose request line holds the query string
        server = make_server(
            app,
            self.sockets[0].sock,
            threads=self.cfg.threads,
            header_seconds=settings.web_header_timeout_seconds if settings else HEADER_READ_SECONDS,
            body_seconds=settings.web_body_timeout_seconds if settings else BODY_READ_SECONDS,
            connection_limit=min(self.cfg.worker_connections, CONNECTION_LIMIT),
        )
        server.on_tick = self._tick
        try:
            server.run()  # returns once drained after SIGTERM
        finally:
            server.close()

    def _tick(self) -> None:
        self.notify()  # gunicorn's master restarts a worker that stays silent longer than --timeout
        if self.ppid != os.getppid():
            log.info("gunicorn's master is gone; stopping")
            raise SystemExit(0)

    def handle_exit(self, sig: int, frame: Any) -> None:
        # gunicorn's graceful stop (SIGTERM): leave waitress's loop, which then drains (ReadDeadlineServer.run).
        self.alive = False
        raise SystemExit(0)
