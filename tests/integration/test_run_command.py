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
