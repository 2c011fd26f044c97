"""The bootstrap's apt waits for another apt holding the lock instead of failing the first run on a fresh machine."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOTSTRAP = (ROOT / "scripts" / "bootstrap").read_text()
APT_CALLS = re.findall(r"^\s*(?:\S+=\S+ )*apt-get [^\n]*", BOOTSTRAP, re.MULTILINE)


def test_every_apt_call_of_the_bootstrap_waits_for_the_lock():
    assert APT_CALLS, "the bootstrap installs chromium with apt-get"
    assert all("-o DPkg::Lock::Timeout=" in call for call in APT_CALLS), APT_CALLS


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("apt-get") is None or shutil.which("chromium") is None,
    reason="needs root, apt and an installed chromium (the bootstrap installs it as root)",
)
def test_the_bootstraps_install_waits_while_another_apt_holds_the_lock():
    timeout_option = re.search(r"-o DPkg::Lock::Timeout=\d+", APT_CALLS[-1]).group(0).split()
    command = ["apt-get", *timeout_option, "install", "-y", "-qq", "chromium"]  # installed already: no download
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    with open("/var/lib/dpkg/lock-frontend", "w") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX)  # as dpkg and apt take it
        refused = subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], capture_output=True, env=env)
        assert refused.returncode != 0, "without the option apt fails at once"
        threading.Timer(2.0, fcntl.lockf, (lock, fcntl.LOCK_UN)).start()
        started = time.monotonic()
        waited = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert waited.returncode == 0, waited.stderr
    assert time.monotonic() - started >= 1.5, "it waited for the lock"
