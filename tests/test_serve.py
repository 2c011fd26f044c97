"""The web server the Procfile runs (storefront_proxy/serve.py): stopping answers what it took, the access log
keeps query strings out."""

from __future__ import annotations

import http.client
import logging
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from devshop.embedded_redis import free_port
from storefront_proxy.serve import AccessLog

ROOT = Path(__file__).resolve().parents[1]


SLOW_SERVER = """
import signal, sys, time
from storefront_proxy import serve

def slow_app(environ, start_response):
    time.sleep(0.5)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"done"]

server = serve.make_server(slow_app, "127.0.0.1", int(sys.argv[1]), threads=1)
signal.signal(signal.SIGTERM, serve._stop)
print("ready", flush=True)
server.run()
server.close()
"""


def get(port: int, path: str, results: dict) -> None:  # type: ignore[type-arg]
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path)
        results[path] = connection.getresponse().status
    except OSError as exc:
        results[path] = type(exc).__name__


def test_sigterm_answers_the_requests_already_taken_before_the_server_ends():
    """waitress's own stop cancels requests waiting for a thread; ours answers them first."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SLOW_SERVER, str(port)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        results: dict = {}
        clients = [threading.Thread(target=get, args=(port, f"/{n}", results)) for n in range(3)]
        for client in clients:
            client.start()
        time.sleep(0.3)  # one request runs, two wait for the only thread
        server.send_signal(signal.SIGTERM)
        for client in clients:
            client.join(timeout=10)
        assert server.wait(timeout=15) == 0
        assert results == {"/0": 200, "/1": 200, "/2": 200}
    finally:
        if server.poll() is None:
            server.kill()


def test_the_access_log_names_method_path_and_status_but_never_the_query(caplog):
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("201 Created", [])
        return [b""]

    logged = AccessLog(app)
    with caplog.at_level(logging.INFO, logger="storefront_proxy.serve"):
        list(
            logged(
                {"REQUEST_METHOD": "GET", "PATH_INFO": "/proxy/orders/5001", "QUERY_STRING": "signature=abc"},
                lambda *a: None,
            )
        )
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith("GET /proxy/orders/5001 201 ") and "signature" not in line
