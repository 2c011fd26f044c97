"""The order block's script (assets/self-service.js) on the answer's edit part, run in Node with a stand-in DOM: the
change link shows only for an editable order, with until when in local time; an open edit is followed."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "theme_extension" / "assets" / "self-service.js"
NODE = shutil.which("node")
# Just enough of a browser for the order block: one element per selector, timers recorded instead of run.
HARNESS = """
const fs = require('fs');
const [script, order] = [fs.readFileSync(process.argv[1], 'utf8'), JSON.parse(process.argv[2])];
const registry = {};
const timers = [];
globalThis.HTMLElement = class {};
globalThis.customElements = { get: (name) => registry[name], define: (name, cls) => { registry[name] = cls; } };
globalThis.setTimeout = (fn, ms) => timers.push(ms);
globalThis.clearTimeout = () => {};
new Function(script)();
const block = new registry['self-service-order']();
const el = (extra = {}) => ({ textContent: '', hidden: false, dataset: {}, ...extra });
const els = { '[data-timer]': el(), '[data-edit]': el(), '.ssb__heading': el() };
els['[data-edit-link]'] = el({ hidden: true });
const strings = {
  details: 'View details', cancel: 'Cancel order', eligible: 'You can still cancel.', time_left: 'Time left: [time]',
  'edit.until': 'You can change this order until [date].', 'edit.until_shipping': 'Until it starts shipping.',
  'edit.queued': 'Your changes are in line to be made.',
};
Object.assign(block, { querySelector: (s) => els[s], dataset: {}, locale: 'en', countdown: true, strings,
  statusEl: el(), link: el(), backoff: 5000 });
block.received(order);
block.refetch(block.show());
console.log(JSON.stringify({ edit: els['[data-edit]'].textContent, hidden: els['[data-edit-link]'].hidden,
  status: block.statusEl.textContent, fetches: timers }));
"""

pytestmark = pytest.mark.skipif(NODE is None, reason="Node missing (it comes with npm)")


def run(order: dict[str, Any]) -> dict[str, Any]:
    result = subprocess.run(
        [str(NODE), "-e", HARNESS, str(SCRIPT), json.dumps(order)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def order(**fields: Any) -> dict[str, Any]:
    """An order that can no longer be cancelled (so only the edit part plans fetches), changed by ``fields``."""
    return {
        "eligible": False,
        "ineligible_reasons": [{"code": "window_closed", "message": "Too late."}],
        "cancel_deadline": None,
        "request": None,
        "editable": False,
        "edit_deadline": None,
        "edit": None,
        **fields,
    }


def test_an_editable_order_shows_the_link_and_until_when_and_is_asked_again_then():
    shown = run(order(editable=True, edit_deadline=iso(timedelta(minutes=20))))
    assert not shown["hidden"]
    assert shown["edit"].startswith("You can change this order until ") and shown["edit"].endswith(".")
    assert "[date]" not in shown["edit"]
    [fetch] = shown["fetches"]
    assert 20 * 60_000 < fetch <= 20 * 60_000 + 1000  # just after the edit deadline


def test_an_order_editable_until_it_ships_is_not_asked_again_for_it():
    shown = run(order(editable=True))
    assert not shown["hidden"] and shown["edit"] == "Until it starts shipping." and shown["fetches"] == []


def test_an_open_edit_shows_its_status_without_the_link_and_is_followed_with_back_off():
    shown = run(order(edit={"id": "edt_1", "status": "queued"}))
    assert shown["hidden"] and shown["edit"] == "Your changes are in line to be made."
    assert shown["fetches"] == [5000]


@pytest.mark.parametrize("edit", [None, {"id": "edt_1", "status": "applied"}])
def test_an_order_that_cannot_be_changed_shows_no_edit_part(edit: dict[str, str] | None):
    shown = run(order(edit=edit))
    assert shown["hidden"] and shown["edit"] == "" and shown["fetches"] == []
    assert shown["status"] == "Too late."  # the cancellation part as before
