"""The edit page's form logic (customer_account_edit_extension/src/changes.js), run in Node: what POST .../edits gets,
what the summary lists and what comes back, for the storefront contract's order JSON."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

CHANGES = Path(__file__).resolve().parents[2] / "customer_account_edit_extension" / "src" / "changes.js"
NODE = shutil.which("node")
# changes.js is an ES module without imports: its exports become the function's locals.
HARNESS = """
const fs = require('fs');
const [source, call] = [fs.readFileSync(process.argv[1], 'utf8'), JSON.parse(process.argv[2])];
const names = [...source.matchAll(/^export (?:const|function) (\\w+)/gm)].map((match) => match[1]);
const module = new Function(`${source.replace(/^export /gm, '')}\\nreturn {${names.join(', ')}};`)();
const translate = (key, values = {}) => `${key}(${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(',')})`;
const args = call.args.map((arg) => (arg === '<translate>' ? translate : arg));
console.log(JSON.stringify(module[call.name](...args)));
"""
ORDER: dict[str, Any] = {
    "total_money": {"amount": "67.00", "currency_code": "EUR"},
    "edits_offered": {"quantities": True, "variants": True, "shipping_address": True, "address_same_country": True},
    "line_items": [
        {
            "id": 11,
            "title": "T-shirt",
            "variant_title": "S",
            "quantity": 1,
            "editable_quantity": 1,
            "unit_price": {"amount": "20.00", "currency_code": "EUR"},
            "variant_id": 21001,
            "variant_options": [
                {"variant_id": 21002, "title": "M", "available": False},
                {"variant_id": 21003, "title": "L", "available": True},
            ],
        },
        {
            "id": 12,
            "title": "Mug",
            "variant_title": "Forest Green",
            "quantity": 2,
            "editable_quantity": 2,
            "unit_price": {"amount": "9.50", "currency_code": "EUR"},
            "variant_id": 21004,
            "variant_options": [],
        },
        {
            "id": 13,
            "title": "Towel",
            "variant_title": None,
            "quantity": 2,
            "editable_quantity": 1,  # one has shipped
            "unit_price": {"amount": "9.00", "currency_code": "EUR"},
            "variant_id": 21006,
            "variant_options": [],
        },
    ],
    "shipping_address": {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "company": None,
        "address1": "1 Main St",
        "address2": None,
        "city": "Brussels",
        "province_code": None,
        "zip": "1000",
        "country_code": "BE",
        "phone": None,
    },
}

pytestmark = pytest.mark.skipif(NODE is None, reason="Node missing (it comes with npm)")


def call(name: str, *args: Any) -> Any:
    payload = json.dumps({"name": name, "args": list(args)})
    result = subprocess.run(
        [str(NODE), "-e", HARNESS, str(CHANGES), payload], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def form(**lines: dict[str, Any]) -> dict[str, Any]:
    start = call("initialForm", ORDER)
    for line_id, values in lines.items():
        start["lines"][line_id.removeprefix("line")].update(values)
    return start


def test_the_form_starts_as_ordered_and_an_untouched_form_changes_nothing():
    start = call("initialForm", ORDER)
    assert start["lines"]["11"] == {"quantity": 1, "variant": "21001"}
    assert start["address"]["city"] == "Brussels" and start["address"]["company"] == ""
    plan = call("planEdit", ORDER, start)
    assert plan == {"lineItems": [], "address": None, "changes": [], "refund": None, "missing": []}


def test_quantities_go_down_to_what_has_not_shipped():
    towel, shirt = ORDER["line_items"][2], ORDER["line_items"][0]
    assert call("quantityChoices", towel) == [2, 1]
    assert call("quantityChoices", shirt) == [1, 0]
    assert [line["id"] for line in call("changeableLines", ORDER)] == [11, 12, 13]
    no_quantities = {**ORDER, "edits_offered": {**ORDER["edits_offered"], "quantities": False}}
    assert [line["id"] for line in call("changeableLines", no_quantities)] == [11]  # the one with variants


def test_a_lower_quantity_and_a_swap_make_the_request_the_summary_and_the_refund():
    plan = call("planEdit", ORDER, form(line11={"variant": "21003"}, line12={"quantity": 1}))
    assert plan["lineItems"] == [{"id": 11, "quantity": 1, "variant_id": 21003}, {"id": 12, "quantity": 1}]
    assert [change["type"] for change in plan["changes"]] == ["variant", "quantity"]
    assert plan["changes"][0]["new_variant_title"] == "L"
    assert plan["refund"] == {"amount": "9.5", "currency_code": "EUR"}  # the swap keeps its price
    described = [call("describeChange", change, "<translate>") for change in plan["changes"]]
    assert described == [
        "change.variant(item=T-shirt,before=S,after=L,quantity=1)",
        "change.quantity(item=Mug (Forest Green),before=2,after=1)",
    ]


def test_removing_an_item_ignores_its_variant_choice():
    plan = call("planEdit", ORDER, form(line11={"quantity": 0, "variant": "21003"}))
    assert plan["lineItems"] == [{"id": 11, "quantity": 0}]
    assert call("describeChange", plan["changes"][0], "<translate>") == "change.remove(item=T-shirt (S))"
    assert plan["refund"] == {"amount": "20", "currency_code": "EUR"}


def test_an_address_is_sent_whole_and_cleaned_once_touched():
    start = form()
    start["address"].update(city="  Antwerp   Centrum ", country_code="be ", address2="")
    plan = call("planEdit", ORDER, start)
    assert plan["lineItems"] == [] and plan["refund"] is None and plan["missing"] == []
    assert plan["address"] == {**ORDER["shipping_address"], "city": "Antwerp Centrum", "country_code": "BE"}
    assert call("describeChange", plan["changes"][0], "<translate>") == (
        "change.address(address=Ada Lovelace, 1 Main St, 1000 Antwerp Centrum, BE)"
    )
    start["address"].update(address1=" ", city="")
    assert call("planEdit", ORDER, start)["missing"] == ["address1", "city"]


def test_no_address_change_where_the_shop_does_not_offer_it():
    closed = {**ORDER, "edits_offered": {**ORDER["edits_offered"], "shipping_address": False}}
    start = form()
    start["address"]["city"] = "Antwerp"
    assert call("planEdit", closed, start)["address"] is None
