"""The run command: embedded Redis, the devshop, the web app and a worker, then the URL to open.

    python -m devshop.launch [--port 8000] [--devshop-port 8001]

Web and worker run exactly as the Procfile runs them (gunicorn with waitress workers, and ``rq worker``), configured
only through the environment; the devshop plays the Shopify shop (Admin API and app proxy) on its own port.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from werkzeug.serving import make_server

from devshop.app import create_devshop
from devshop.embedded_redis import EmbeddedRedis
from storefront_proxy.settings import Settings, SettingsError, read_settings

ROOT = Path(__file__).resolve().parent.parent
REDIS_DATA_DIR = ROOT / ".data" / "redis"
DEVSHOP_TOKEN = "shpat_devshop_local_token_0000000000"
DEVSHOP_DOMAIN = "devshop.myshopify.com"


def child_environment(settings: Settings, redis_url: str, port: int, devshop_origin: str) -> dict[str, str]:
    """The environment web and worker get: the same variables a production deployment sets."""
    env = dict(os.environ)
    env.update(
        APP_ENV="development",
        REDIS_URL=redis_url,
        PORT=str(port),
        SHOPIFY_API_KEY=settings.shopify_api_key or "",
        SHOPIFY_API_SECRET=settings.api_secret(),
        SHOPIFY_ADMIN_ORIGIN=devshop_origin,
        SHOPIFY_APP_URL=f"http://127.0.0.1:{port}",
        SHOPIFY_SHOP=DEVSHOP_DOMAIN,
        SHOPIFY_ACCESS_TOKEN=DEVSHOP_TOKEN,
        # The devshop has no real theme to render Liquid pages in: pages come as whole documents.
        STOREFRONT_STANDALONE_PAGES="true",
        PYTHONUNBUFFERED="1",
    )
    return env


def web_command(port: int, host: str = "127.0.0.1", *, access_log: bool = False) -> list[str]:
    """The Procfile's web command on ``host:port`` (its access log leaves query strings out)."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        "2",
        "--threads",
        "8",
        "--worker-class",
        "storefront_proxy.serve.WaitressWorker",
        "--no-control-socket",
    ]
    return command + (["--access-logfile", "-"] if access_log else []) + ["storefront_proxy.app:create_app()"]


def worker_command(*extra: str) -> list[str]:
    rq = str(Path(sys.executable).with_name("rq"))
    return [
        rq,
        "worker",
        "--with-scheduler",
        "-c",
        "workers.rq_config",
        "-w",
        "workers.worker.SelfServiceWorker",
        *extra,
    ]


CANCELLATION_DIR = ROOT / "customer_account_extension"
EDIT_PAGE_DIR = ROOT / "customer_account_edit_extension"
# Each customer account extension's bundle and what it is built from: the edit page imports the cancellation
# extension's backend.js, EditStatus.jsx and useEdit.js (../customer_account_extension/src), so those count for both.
EXTENSION_BUNDLES = {
    CANCELLATION_DIR / "dist" / "self-service-cancellation.js": (CANCELLATION_DIR,),
    EDIT_PAGE_DIR / "dist" / "self-service-order-edit.js": (EDIT_PAGE_DIR, CANCELLATION_DIR),
}


def _extension_sources(folder: Path) -> list[Path]:
    return [*folder.glob("src/*"), *folder.glob("locales/*"), folder / "shopify.extension.toml"]


def extensions_built() -> bool:
    """Whether every customer account extension's bundle exists and is newer than its sources."""
    for bundle, folders in EXTENSION_BUNDLES.items():
        newest = max(path.stat().st_mtime for folder in folders for path in _extension_sources(folder))
        if not bundle.exists() or bundle.stat().st_mtime < newest:
            return False
    return True


def build_customer_account_extension() -> bool:
    """Build the customer account extensions (the cancellation one and the edit page) with Shopify's CLI when a
    bundle is missing or older than its sources (installing the npm packages first when needed); False, with a
    note, where npm is missing."""
    if extensions_built():
        return True
    cli = ROOT / "node_modules" / ".bin" / "shopify"
    npm = shutil.which("npm")
    if not cli.exists() and npm:
        print("Installing the npm packages (package-lock.json) to build the customer account extensions…", flush=True)
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
    if not cli.exists():
        print(
            "Note: npm is missing, so the customer account extensions are not built (pages under /account/new say so)."
        )
        return False
    env = {**os.environ, "SHOPIFY_CLI_NO_ANALYTICS": "1", "CI": "1"}
    # One build makes every extension of shopify.app.toml.
    result = subprocess.run(
        [str(cli), "app", "build", "--path", "."], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0 or not all(bundle.exists() for bundle in EXTENSION_BUNDLES):
        print(f"Building the customer account extensions failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
        return False
    print(
        "Built the customer account extensions (customer_account_extension/, customer_account_edit_extension/).",
        flush=True,
    )
    return True


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up within {timeout:.0f}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    try:
        settings = read_settings(APP_ENV="development")
    except SettingsError as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 3
    parser.add_argument("--port", type=int, default=settings.port, help="web app port (default: PORT or 8000)")
    parser.add_argument("--devshop-port", type=int, default=8001, help="devshop port (default 8001)")
    parser.add_argument(
        "--data-dir", type=Path, default=REDIS_DATA_DIR, help="the embedded Redis's data (default .data/redis)"
    )
    args = parser.parse_args(argv)
    if args.port == args.devshop_port:
        print("Cannot start: the web app and the devshop need different ports", file=sys.stderr)
        return 2
    data_dir: Path = args.data_dir.resolve()

    redis_server: EmbeddedRedis | None = None
    if "redis_url" in settings.model_fields_set:
        redis_url = settings.redis_url
        print(f"Using Redis at REDIS_URL ({redis_url.split('@')[-1]})")
    else:
        # The shop's requests, policies and queue outlive a restart of the run command, as they would in production.
        # Two servers on one append-only file would corrupt it: one run command at a time.
        data_dir.mkdir(parents=True, exist_ok=True)
        data_lock = open(data_dir / ".lock", "w")  # noqa: SIM115 - held until the process ends
        try:
            fcntl.flock(data_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"Cannot start: another run command uses {data_dir}", file=sys.stderr)
            return 3
        redis_server = EmbeddedRedis(data_dir=data_dir, own_session=True).start()
        redis_url = redis_server.url
        print(f"Started embedded Redis on {redis_url} (data in {data_dir})")
    try:
        return _serve(settings, args, redis_url)
    finally:
        # Last, whatever stopped the rest (a Ctrl-C during the extension's build, a devshop port in use): Redis
        # runs in its own session, and nothing else would stop it.
        if redis_server is not None:
            redis_server.stop()
        print("  Stopped.", flush=True)


def _serve(settings: Settings, args: argparse.Namespace, redis_url: str) -> int:
    """The devshop, the web app and a worker, until Ctrl-C (or one of them exits)."""
    build_customer_account_extension()
    app_url = f"http://127.0.0.1:{args.port}"
    devshop_origin = f"http://127.0.0.1:{args.devshop_port}"
    devshop = create_devshop(
        app_url=app_url,
        api_secret=settings.api_secret(),
        api_key=settings.shopify_api_key or "",
        shop_domain=DEVSHOP_DOMAIN,
        access_token=DEVSHOP_TOKEN,
        # Like a real shop: order changes reach the app as signed webhooks.
        webhooks=True,
    )
    devshop_server = make_server("127.0.0.1", args.devshop_port, devshop, threaded=True)
    threading.Thread(target=devshop_server.serve_forever, daemon=True).start()

    env = child_environment(settings, redis_url, args.port, devshop_origin)
    # Each in its own session, so a Ctrl-C reaches only this process, which stops them in order (stop_in_order).
    worker = subprocess.Popen(worker_command(), cwd=ROOT, env=env, start_new_session=True)
    web = subprocess.Popen(web_command(args.port, access_log=True), cwd=ROOT, env=env, start_new_session=True)
    children = [worker, web]

    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        wait_for(f"{app_url}/healthz")
        print(
            "\n  Self-service is running.\n"
            f"  Open {devshop_origin}/ — the devshop: log in as a demo customer, open an order and change or cancel\n"
            "  it (order #1008 has sizes, colours and two mugs to change; its refund shows in the devshop's admin).\n"
            f"  New customer accounts (the customer account extensions): {devshop_origin}/account/new/orders\n"
            f"  The edit page (full-page extension) of order #1008: "
            f"{devshop_origin}/account/new/orders/5008/extensions/self-service-order-edit\n"
            f"  Merchant and support admin: {devshop_origin}/admin/apps/self-service\n"
            f"  (The app itself answers on {app_url}/proxy/...; the devshop signs requests as Shopify's app proxy.)\n"
            "  Press Ctrl-C to stop.\n",
            flush=True,
        )
        while not stopping.is_set():
            for child in children:
                if child.poll() is not None:
                    print(f"{child.args[0]} exited with {child.returncode}; stopping", file=sys.stderr)
                    stopping.set()
            stopping.wait(0.5)
    finally:
        print("\n  Stopping: the worker (it finishes its job), the web app, the devshop, then Redis.", flush=True)
        stop_in_order(children)
        devshop_server.shutdown()
    return 0


def stop_in_order(children: list[subprocess.Popen[bytes]], timeout: float = 20.0) -> None:
    """Stop each process and what it started, one after the other, while Redis is still up: rq's warm shutdown
    lets the running job finish and its scheduler release its locks; a scheduler that lost Redis first would wait
    for it forever. What has not stopped within ``timeout`` is killed with its whole process group."""
    for child in children:
        if child.poll() is None:
            child.terminate()
            _exited(child, timeout)
        try:
            # Its group is its pid (its own session) and cannot be another's while the child is not reaped.
            os.killpg(child.pid, signal.SIGKILL)  # whatever it left behind (its scheduler, a work horse)
        except OSError:  # nothing left of the group
            pass
        child.wait()


def _exited(child: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait up to ``timeout`` for ``child`` to exit without reaping it (Popen.wait would)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return
        time.sleep(0.1)


if __name__ == "__main__":
    raise SystemExit(main())
