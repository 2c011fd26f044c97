"""What the benchmarks share: the app's environment, its processes as the Procfile runs them, wrk, and medians."""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from devshop.launch import wait_for, web_command, worker_command
from devshop.signing import sign_proxy_query

ROOT = Path(__file__).resolve().parent.parent
SHOP = "devshop.myshopify.com"
TOKEN = "shpat_devshop_benchmark_token_0000000"
SECRET = "benchmark-secret-long-enough-for-hmac-sha256-000"
TOKEN_KEY = "YmVuY2htYXJrLW9ubHktZmVybmV0LWtleS0wMDAwMDA="
CUSTOMER = 1001
ROUNDS = 3
# The code as it was when the performance targets were set ("today" in the benchmarks' targets). Memory is
# compared with it run side by side, in the same environment: an absolute figure moves with what else the
# environment holds (the dev tools make httpx load its command line, ~3 MiB a process).
BASELINE_COMMIT = "f9f6455d99aae74c77d58c4f31957a4a84b4b8d8"


def app_env(redis_url: str, admin_origin: str) -> dict[str, str]:
    """The app's settings for a benchmark: production mode, Admin API at ``admin_origin``, shopper limits off."""
    return {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "APP_ENV": "production",
        "SHOPIFY_APP_URL": "https://self-service.example.app",
        "REDIS_URL": redis_url,
        "SHOPIFY_API_KEY": "benchmark",
        "SHOPIFY_API_SECRET": SECRET,
        "SHOPIFY_SHOP": SHOP,
        "SHOPIFY_ACCESS_TOKEN": TOKEN,
        "SHOPIFY_ADMIN_ORIGIN": admin_origin,
        # Production refuses to start without a key for the tokens it keeps in Redis.
        "TOKEN_ENCRYPTION_KEY": TOKEN_KEY,
        "PROXY_RATE_LIMIT_PER_MINUTE": "100000000",
        "CANCEL_RATE_LIMIT_PER_HOUR": "100000000",
    }


def signed_query(customer: int = CUSTOMER) -> str:
    """A query string as Shopify's app proxy signs it (valid for 90 s: make one per run)."""
    params = [
        ("shop", SHOP),
        ("logged_in_customer_id", str(customer)),
        ("path_prefix", "/apps/self-service"),
        ("timestamp", str(int(time.time()))),
    ]
    params.append(("signature", sign_proxy_query(params, SECRET)))
    return urlencode(params)


@contextmanager
def baseline_tree() -> Iterator[Path | None]:
    """BASELINE_COMMIT's files in a scratch directory (``git archive``), or None without that history (a shallow
    clone, an export)."""
    with tempfile.TemporaryDirectory(prefix="benchmark-baseline-") as scratch:
        try:
            archive = subprocess.run(
                ["git", "archive", "--format=tar", BASELINE_COMMIT], cwd=ROOT, capture_output=True, check=False
            )
        except FileNotFoundError:  # no git
            archive = None
        if archive is None or archive.returncode != 0:
            yield None
            return
        subprocess.run(["tar", "-x", "-C", scratch], input=archive.stdout, check=True)
        yield Path(scratch)


@contextmanager
def running(*commands: tuple[list[str], dict[str, str] | None] | tuple[list[str], dict[str, str] | None, Path]):
    """Start each (command, env[, working directory]) quietly; stop them all at the end."""
    processes = []
    for command, env, *directory in commands:
        processes.append(
            subprocess.Popen(
                command,
                cwd=directory[0] if directory else ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    try:
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def web_server(port: int, app: str = "storefront_proxy.app:create_app()") -> list[str]:
    """The Procfile's web command (gunicorn, 2 workers x 8 threads, waitress) serving ``app``."""
    return [*web_command(port)[:-1], app]


def admin_stand_in(port: int, *args: str) -> list[str]:
    return [sys.executable, "-m", *args[:1], str(port), *args[1:]]


def workers(count: int) -> list[list[str]]:
    return [worker_command("--quiet") for _ in range(count)]


def ready(url: str) -> None:
    wait_for(url, timeout=60)


def answers(url: str) -> bool:
    """Whether ``url`` comes up within a minute."""
    try:
        ready(url)
    except RuntimeError:
        return False
    return True


@dataclass(frozen=True)
class Load:
    """One wrk run: requests a second, latency percentiles (ms) and answers by status class."""

    rate: float
    p50: float
    p99: float
    errors: int


def need_wrk() -> str:
    """wrk, the HTTP load generator (Debian's package; installed here when missing and allowed)."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get"):
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr, flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed: apt-get install wrk")
    return found


def wrk(url: str, *, script: Path | None = None, seconds: int = 5, connections: int = 16, env=None) -> Load:
    """Load ``url`` with wrk in its own process (2 threads, ``connections`` connections) and read its report."""
    command = [need_wrk(), "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", "Accept: application/json"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, env=env, timeout=seconds + 60
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return Load(rate, _latency(output, "50%"), _latency(output, "99%"), int(errors.group(1)) if errors else 0)


def _latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def median(values: list[float]) -> float:
    return statistics.median(values)


def verdict(value: float, target: float, *, at_most: bool = False) -> str:
    met = value <= target if at_most else value >= target
    return f"{'meets' if met else 'MISSES'} target {'≤' if at_most else '≥'} {target:g}"
