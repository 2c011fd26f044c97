"""``flask policy ...``: read and change a shop's cancellation policy until the admin screens exist.

Examples::

    flask --app storefront_proxy.app policy show devshop.myshopify.com
    flask --app storefront_proxy.app policy set devshop.myshopify.com cancel_window_minutes=30 review_mode=manual
    flask --app storefront_proxy.app policy set devshop.myshopify.com 'excluded_order_tags=["wholesale"]'
    flask --app storefront_proxy.app policy reset devshop.myshopify.com
"""

from __future__ import annotations

import json

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from pydantic import ValidationError

from storefront_proxy.policy import Policy
from storefront_proxy.settings import normalize_shop_domain

policy_cli = AppGroup("policy", help="Show or change a shop's self-service cancellation policy.")


def _parse_assignment(assignment: str) -> tuple[str, object]:
    key, sep, raw = assignment.partition("=")
    if not sep or not key:
        raise click.BadParameter(f"expected key=value, got {assignment!r}")
    try:
        value: object = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


@policy_cli.command("show")
@click.argument("shop")
def show_policy(shop: str) -> None:
    """Print the shop's policy as JSON."""
    store = current_app.extensions["store"]
    click.echo(store.get_policy(normalize_shop_domain(shop)).model_dump_json(indent=2))


@policy_cli.command("set")
@click.argument("shop")
@click.argument("assignments", nargs=-1, required=True)
def set_policy(shop: str, assignments: tuple[str, ...]) -> None:
    """Change fields, e.g. cancel_window_minutes=30 review_mode=manual."""
    store = current_app.extensions["store"]
    shop = normalize_shop_domain(shop)
    current = store.get_policy(shop).model_dump(mode="json")
    current.update(dict(_parse_assignment(a) for a in assignments))
    try:
        policy = Policy.model_validate(current)
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            click.echo(f"{field}: {error['msg']}", err=True)
        raise SystemExit(2) from None
    store.save_policy(shop, policy)
    click.echo(policy.model_dump_json(indent=2))


@policy_cli.command("reset")
@click.argument("shop")
def reset_policy(shop: str) -> None:
    """Go back to the default policy."""
    store = current_app.extensions["store"]
    store.save_policy(normalize_shop_domain(shop), Policy())
    click.echo(Policy().model_dump_json(indent=2))


def init_app(app: Flask) -> None:
    app.cli.add_command(policy_cli)
