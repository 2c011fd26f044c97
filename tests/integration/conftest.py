"""End-to-end fixtures: the devshop and the web app on loopback HTTP servers, real Redis, real `rq worker`s."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from devshop.app import create_devshop
from devshop.embedded_redis import free_port
from devshop.launch import worker_command
from devshop.processes import children_of, process_group_of
from storefront_proxy.app import create_app
from storefront_proxy.cancellations.records import ShopperRequest
from storefront_proxy.settings import Settings
from storefront_proxy.store import Store
from tests.helpers import API_KEY, API_SECRET

ROOT = Path(__file__).resolve().parents[2]
SHOP = "devshop.myshopify.com"
TOKEN = "shpat_devshop_integration_token_000000"
ADA = 1001  # the devshop's demo customer
GRACE = 1002

pytestmark = pytest.mark.integration


class Server:
    """A WSGI app on a loopback port in a background thread."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.port = free_port()
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="session")
def ports() -> dict[str, int]:
    return {"web": free_port()}


@pytest.fixture(scope="session")
def devshop_server(ports) -> Iterator[Server]:
    app = create_devshop(
        app_url=f"http://127.0.0.1:{ports['web']}",
        api_secret=API_SECRET,
        api_key=API_KEY,
        shop_domain=SHOP,
        access_token=TOKEN,
        cancel_job_seconds=0.4,
    )
    server = Server(app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def integration_env(redis_url: str, devshop_server: Server, ports) -> dict[str, str]:
    """The environment web and worker run with, as a deployment would set it."""
    return {
        "APP_ENV": "test",
        "REDIS_URL": redis_url,
        "PORT": str(ports["web"]),
        "SHOPIFY_API_KEY": API_KEY,
        "SHOPIFY_API_SECRET": API_SECRET,
        "SHOPIFY_ADMIN_ORIGIN": devshop_server.url,
        "SHOPIFY_SHOP": SHOP,
        "SHOPIFY_ACCESS_TOKEN": TOKEN,
        # Fast retries and polling so failure paths finish within a test.
        "CANCEL_RETRY_INTERVALS": "[1, 1, 2]",
        "CANCEL_JOB_MAX_POLL_INTERVAL": "0.3",
        "SHOPIFY_WORKER_ATTEMPTS": "2",
        "CANCEL_JOB_MAX_POLLS": "5",
        "STOREFRONT_STANDALONE_PAGES": "true",
        # An auto-review "hour" lasts a second, so automatic review runs within a test.
        "AUTO_REVIEW_HOUR_SECONDS": "1",
        "HOLD_RETRY_INTERVALS": "[1, 1]",
        "HOLD_EXTENSION_SECONDS": "2",
        # A Shopify call without an answer gives up soon (the devshop's timeout fault holds it longer), and an
        # orderCancel whose answer was lost may be sent again after a second.
        "SHOPIFY_TIMEOUT_SECONDS": "2",
        "CANCEL_SEND_SETTLE_SECONDS": "1",
    }


@pytest.fixture(scope="session")
def web_server(integration_env, ports) -> Iterator[Server]:
    settings = Settings(**integration_env, _env_file=None)
    app = create_app(settings)
    server = Server.__new__(Server)
    server.port = ports["web"]
    server.server = make_server("127.0.0.1", ports["web"], app, threaded=True)
    server.thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    server.thread.start()
    yield server
    server.stop()


@pytest.fixture
def devshop(devshop_server):
    """The devshop's state, reset to the seeded demo data for each test."""
    state = devshop_server.server.app.extensions["devshop"]
    state.reset()
    return state


@pytest.fixture
def webhooks_on(devshop_server):
    """The devshop delivers its webhooks to the web app for this test, as a real shop does."""
    sender = devshop_server.server.app.extensions["devshop_webhooks"]
    sender.enabled = True
    yield sender
    sender.enabled = False
    wait_until(sender.idle, timeout=15, message="the devshop's webhook deliveries to finish")
    sender.clear()


@pytest.fixture
def store(redis_conn) -> Store:
    return Store(redis_conn)


@pytest.fixture
def web(web_server, devshop, redis_conn) -> Server:
    return web_server


class Workers:
    """Real `rq worker` processes, started as the Procfile starts them."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []
        self.orphans: list[int] = []

    def start(self, *extra: str) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"worker-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            worker_command("--job-monitoring-interval", "1", "--maintenance-interval", "1", *extra),
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def kill_hard(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the worker and the work horse running its job, if any, as an OOM kill or a crash would.

        The cancellation jobs run in the worker process itself (workers/worker.py), other jobs in a work horse:
        rq's work horse calls setpgrp(), so it is the child leading its own process group. The worker's other
        child, its scheduler process, lives on (as it does when only the worker process is killed) and
        is stopped at teardown.
        """
        children = children_of(process.pid)
        horses = [pid for pid in children if process_group_of(pid) == pid]
        self.orphans += [pid for pid in children if pid not in horses]
        process.kill()
        process.wait()
        for pid in horses:
            _kill(pid)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        for pid in self.orphans:
            _kill(pid)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-4000:] for p in sorted(self.log_dir.glob("worker-*.log")))


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture
def workers(integration_env, tmp_path) -> Iterator[Workers]:
    pool = Workers(integration_env, tmp_path)
    yield pool
    pool.stop_all()


def wait_until(
    predicate: Callable[[], object], timeout: float = 20.0, interval: float = 0.1, message: str = ""
) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message or predicate}")


def wait_for_status(
    store: Store, shop: str, order_id: int, statuses: set[str], timeout: float = 20.0
) -> ShopperRequest:
    def settled() -> ShopperRequest | None:
        request = store.requests.for_order(shop, order_id)
        return request if request is not None and request.status.value in statuses else None

    return wait_until(settled, timeout, message=f"order {order_id} to reach {statuses}")  # type: ignore[return-value]


def proxy_session(devshop_url: str, customer: int) -> requests.Session:
    """A browser-like session on the devshop, logged in as ``customer``."""
    session = requests.Session()
    session.get(f"{devshop_url}/login/{customer}", timeout=5)
    return session
