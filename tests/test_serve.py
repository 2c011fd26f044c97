"""The web server the Procfile runs (storefront_proxy/serve.py): stopping answers what it took, the access log
keeps query strings out."""

from __future__ import annotations

import http.client
import logging
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from devshop.embedded_redis import free_port
from storefront_proxy.serve import AccessLog

ROOT = Path(__file__).resolve().parents[1]


def test_the_run_command_starts_the_web_exactly_as_the_procfile_does():
    from devshop.launch import web_command

    procfile = (ROOT / "Procfile").read_text().splitlines()
    [web] = [line.removeprefix("web: ") for line in procfile if line.startswith("web: ")]
    expected = shlex.split(web.replace("$PORT", "8000").replace("${WEB_CONCURRENCY:-2}", "2"))
    assert web_command(8000, host="0.0.0.0")[2:] == expected  # "python -m" before "gunicorn"


def get(port: int, path: str, results: dict) -> None:  # type: ignore[type-arg]
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path)
        results[path] = connection.getresponse().status
    except OSError as exc:
        results[path] = type(exc).__name__


def test_sigterm_answers_the_requests_already_taken_before_the_server_ends(tmp_path):
    """gunicorn's graceful stop reaches the waitress worker, which answers what it took; waitress's own stop
    cancels the requests waiting for a thread."""
    port = free_port()
    (tmp_path / "slow_app.py").write_text(SLOW_APP)
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "1"]
    command += ["--worker-class", "storefront_proxy.serve.WaitressWorker", "--no-control-socket", "slow_app:app"]
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}:{ROOT}"}
    server = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _listening(port):
            time.sleep(0.1)
        results: dict = {}
        clients = [threading.Thread(target=get, args=(port, f"/{n}", results)) for n in range(3)]
        for client in clients:
            client.start()
        time.sleep(0.3)  # one request runs, two wait for the only thread
        server.send_signal(signal.SIGTERM)
        for client in clients:
            client.join(timeout=10)
        assert server.wait(timeout=30) == 0
        assert results == {"/0": 200, "/1": 200, "/2": 200}
    finally:
        if server.poll() is None:
            server.kill()


SLOW_APP = """
import time


def app(environ, start_response):
    time.sleep(0.5)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"done"]
"""


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


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
