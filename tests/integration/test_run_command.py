"""The run command as a developer uses it: its embedded Redis keeps the requests across a restart, leaves no
temporary folder behind, and its logs hold no signed query string."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import requests

from devshop.embedded_redis import free_ports
from tests.integration.conftest import ADA, ROOT, wait_until

pytestmark = pytest.mark.integration

JSON = {"Accept": "application/json"}


def temporary_redis_folders() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("selfservice-redis-*")}


class RunCommand:
    def __init__(self, data_dir: Path, log: Path) -> None:
        self.web, self.devshop = free_ports(2)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "SHOPIFY_", "APP_ENV", "PORT"))}
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devshop.launch", "--port", str(self.web), "--devshop-port", str(self.devshop)]
            + ["--data-dir", str(data_dir)],
            cwd=ROOT,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(lambda: "Self-service is running" in log.read_text(), timeout=60, message="the run command")

    @property
    def shop(self) -> str:
        return f"http://127.0.0.1:{self.devshop}"

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        assert self.process.wait(timeout=30) == 0


def test_a_restart_of_the_run_command_keeps_the_requests_and_leaves_nothing_behind(tmp_path):
    before = temporary_redis_folders()
    first = RunCommand(tmp_path / "redis", tmp_path / "first.log")
    try:
        shopper = requests.Session()
        shopper.get(f"{first.shop}/login/{ADA}", timeout=5)
        order = f"{first.shop}/apps/self-service/orders/5001"
        token = shopper.get(order, headers=JSON, timeout=10).json()["csrf_token"]
        asked = shopper.post(
            f"{order}/cancellation", json={"reason": "changed_mind", "csrf_token": token}, headers=JSON, timeout=10
        )
        assert asked.status_code == 202, asked.text
        request_id = asked.json()["request"]["id"]
    finally:
        first.stop()

    second = RunCommand(tmp_path / "redis", tmp_path / "second.log")
    try:
        shopper = requests.Session()
        shopper.get(f"{second.shop}/login/{ADA}", timeout=5)
        kept = shopper.get(f"{second.shop}/apps/self-service/orders/5001/cancellation", headers=JSON, timeout=10)
        assert kept.status_code == 200 and kept.json()["request"]["id"] == request_id
    finally:
        second.stop()

    assert temporary_redis_folders() == before, "the run command left a temporary Redis folder behind"
    assert (tmp_path / "redis" / "appendonly.aof").exists()
    text = (tmp_path / "first.log").read_text() + (tmp_path / "second.log").read_text()
    assert "GET /proxy/orders/5001" in text, "the access log names the requests"
    assert "signature=" not in text and "logged_in_customer_id" not in text


def test_ctrl_c_stops_the_worker_and_the_web_app_before_redis_and_leaves_no_process(tmp_path):
    """A Ctrl-C reaches the terminal's whole process group; the run command alone takes it, and stops the worker
    (whose scheduler must release its locks while Redis is up) and the web app before Redis."""
    from devshop.processes import children_of

    log = tmp_path / "run.log"
    run = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, sys; os.setpgrp(); sys.argv[0] = 'run'; "
            "from devshop.launch import main; raise SystemExit(main(sys.argv[1:]))",
            *("--port", str(free_ports(1)[0]), "--devshop-port", str(free_ports(1)[0]), "--data-dir", str(tmp_path)),
        ],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "SHOPIFY_", "APP_ENV", "PORT"))},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    wait_until(lambda: "Self-service is running" in log.read_text(), timeout=60, message="the run command")
    started = set(children_of(run.pid))
    descendants = started | {pid for child in started for pid in children_of(child)}
    os.killpg(run.pid, signal.SIGINT)  # as the terminal does: to every process of the group
    assert run.wait(timeout=40) == 0
    text = log.read_text()
    assert "Traceback" not in text and "Redis unreachable" not in text, text[-3000:]
    assert "Stopped." in text

    def left_running() -> list[int]:
        return [pid for pid in descendants if Path(f"/proc/{pid}").exists() and not _is_zombie(pid)]

    wait_until(lambda: not left_running(), timeout=10, message=f"processes left running: {left_running()}")


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
