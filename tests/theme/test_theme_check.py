"""Shopify's own theme check (Shopify CLI from npm, offline) finds nothing in theme_extension/."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOPIFY = ROOT / "node_modules" / ".bin" / "shopify"
COMMAND = [
    str(SHOPIFY),
    "theme",
    "check",
    "--path",
    "theme_extension",
    "-C",
    "theme-check:theme-app-extension",
    "--fail-level",
    "warning",
    "-o",
    "json",
]


@pytest.mark.skipif(not SHOPIFY.exists(), reason="Shopify CLI missing: run `npm ci` (node_modules/.bin/shopify)")
def test_theme_check_reports_no_errors_and_no_warnings():
    env = {**os.environ, "SHOPIFY_CLI_NO_ANALYTICS": "1", "CI": "1"}
    result = subprocess.run(COMMAND, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    start = result.stdout.find("[")
    assert start >= 0, f"theme check printed no JSON report:\n{result.stdout}\n{result.stderr}"
    report = json.loads(result.stdout[start:])
    offenses = [
        f"{Path(entry['path']).relative_to(ROOT)}:{offense['start_row'] + 1} {offense['check']}: {offense['message']}"
        for entry in report
        for offense in entry["offenses"]
    ]
    assert offenses == []
    assert result.returncode == 0, result.stderr
