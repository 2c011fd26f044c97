"""Operators' commands: ``flask policy ...`` for a shop's policy, ``flask requests ...`` for the support queue.

Examples::

    flask --app storefront_proxy.app policy show devshop.myshopify.com
    flask --app storefront_proxy.app policy set devshop.myshopify.com cancel_window_minutes=30 review_mode=manual
    flask --app storefront_proxy.app policy set devshop.myshopify.com 'excluded_order_tags=["wholesale"]'
    flask --app storefront_proxy.app policy reset devshop.myshopify.com
    flask --app storefront_proxy.app requests list devshop.myshopify.com --status pending_review
    flask --app storefront_proxy.app requests show devshop.myshopify.com ccr_0123456789abcdef0123
    flask --app storefront_proxy.app requests approve devshop.myshopify.com ccr_0123456789abcdef0123
    flask --app storefront_proxy.app requests reject devshop.myshopify.com ccr_… --message "Already packed"
    flask --app storefront_proxy.app requests retry devshop.myshopify.com ccr_0123456789abcdef0123
    flask --app storefront_proxy.app tokens list
    flask --app storefront_proxy.app tokens migrate            # every public-app shop's non-expiring token
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable

import click
from flask import Flask
from flask.cli import AppGroup
from pydantic import ValidationError

from storefront_proxy.cancellations.records import RequestStatus, ShopperRequest
from storefront_proxy.cancellations.review import ReviewError
from storefront_proxy.services import services
from storefront_proxy.shopify.domains import normalize_shop_domain
from storefront_proxy.shopify.errors import ShopifyError
from storefront_proxy.tokens.lifecycle import migrate_token, migrates, token_repository
from storefront_proxy.tokens.model import TokenSealError
from storefront_proxy.tokens.repository import TokenRepository
from storefront_proxy.validation import InvalidValueError

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
    click.echo(services().policies.policy(normalize_shop_domain(shop)).model_dump_json(indent=2))


@policy_cli.command("set")
@click.argument("shop")
@click.argument("assignments", nargs=-1, required=True)
def set_policy(shop: str, assignments: tuple[str, ...]) -> None:
    """Change fields, e.g. cancel_window_minutes=30 review_mode=manual."""
    policies = services().policies
    shop = normalize_shop_domain(shop)
    current = policies.policy(shop).model_dump(mode="json")
    current.update(dict(_parse_assignment(a) for a in assignments))
    try:
        # As the admin's Policy page changes it: audited, and holds already placed follow the change.
        policy = policies.change(shop, _operator(), current)
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            click.echo(f"{field}: {error['msg']}", err=True)
        raise SystemExit(2) from None
    click.echo(policy.model_dump_json(indent=2))


@policy_cli.command("reset")
@click.argument("shop")
def reset_policy(shop: str) -> None:
    """Go back to the default policy."""
    policy = services().policies.reset(normalize_shop_domain(shop), _operator())
    click.echo(policy.model_dump_json(indent=2))


requests_cli = AppGroup("requests", help="Work the support queue of a shop (mirrors the admin's Requests page).")


def _review_call(action: Callable[[], ShopperRequest]) -> ShopperRequest:
    """Run a review action, turning its refusals into a one-line error and exit status 1."""
    try:
        return action()
    except (ReviewError, InvalidValueError) as exc:
        raise click.ClickException(str(exc) or type(exc).__name__) from None


def _operator() -> str:
    return f"cli:{getpass.getuser()}"


def _line(item: ShopperRequest) -> str:
    what = item.reason or item.kind.value
    return f"{item.id}  {item.order_name:<10} {item.status.value:<15} {what:<22} {item.created_at:%Y-%m-%d %H:%M}"


@requests_cli.command("list")
@click.argument("shop")
@click.option("--status", type=click.Choice([status.value for status in RequestStatus]), default=None)
@click.option("--query", "-q", default=None, help="Order name or customer e-mail.")
@click.option("--page", type=int, default=1, show_default=True)
def list_requests(shop: str, status: str | None, query: str | None, page: int) -> None:
    """List the shop's requests, newest first."""
    result = services().review.list_requests(normalize_shop_domain(shop), status, query, page)
    for item in result.requests:
        click.echo(_line(item))
    click.echo(f"{result.total} requests, page {result.page} of {result.pages}")


@requests_cli.command("show")
@click.argument("shop")
@click.argument("request_id")
def show_request(shop: str, request_id: str) -> None:
    """Show one request with its timeline and notes."""
    review = services().review
    item = _review_call(lambda: review.get_request(normalize_shop_domain(shop), request_id))
    click.echo(_line(item))
    click.echo(f"customer: {item.customer_email or item.customer_id}   attempts: {item.attempts}")
    if item.note:
        click.echo(f"shopper's note: {item.note}")
    if item.message:
        click.echo(f"message to the shopper: {item.message}")
    if item.last_error:
        click.echo(f"last error: {item.last_error}")
    for event in item.events:
        status = f" [{event.status.value}]" if event.status else ""
        click.echo(f"  {event.at:%Y-%m-%d %H:%M:%S} {event.type}{status} {event.detail or ''}".rstrip())
    for note in item.notes:
        click.echo(f"  note by {note.author} at {note.at:%Y-%m-%d %H:%M}: {note.text}")


@requests_cli.command("approve")
@click.argument("shop")
@click.argument("request_id")
def approve_request(shop: str, request_id: str) -> None:
    """Approve a request waiting for review: the worker cancels the order."""
    review = services().review
    item = _review_call(lambda: review.approve(normalize_shop_domain(shop), request_id, _operator()))
    click.echo(_line(item))


@requests_cli.command("reject")
@click.argument("shop")
@click.argument("request_id")
@click.option("--message", "-m", required=True, help="What the shopper reads on the cancel page.")
def reject_request(shop: str, request_id: str, message: str) -> None:
    """Reject a request; the shopper sees the message."""
    review = services().review
    item = _review_call(lambda: review.reject(normalize_shop_domain(shop), request_id, _operator(), message))
    click.echo(_line(item))


@requests_cli.command("retry")
@click.argument("shop")
@click.argument("request_id")
def retry_request(shop: str, request_id: str) -> None:
    """Hand a failed request to the worker again."""
    review = services().review
    item = _review_call(lambda: review.retry(normalize_shop_domain(shop), request_id, _operator()))
    click.echo(_line(item))


tokens_cli = AppGroup("tokens", help="Shops' access tokens: which kind each has, and migration to expiring ones.")


def _tokens() -> TokenRepository:
    return token_repository(services().settings, services().store)


@tokens_cli.command("list")
def list_tokens() -> None:
    """Each shop with a token: expiring or not, and until when (never the token itself)."""
    tokens = _tokens()
    for shop in sorted(tokens.shops()):
        try:
            token = tokens.offline_token(shop)
        except TokenSealError:
            click.echo(f"{shop}  unreadable with TOKEN_ENCRYPTION_KEY(_OLD)")
            continue
        if token is None:
            continue
        if token.expiring:
            assert token.expires_at is not None
            click.echo(f"{shop}  expiring  access until {token.expires_at:%Y-%m-%d %H:%M}Z")
        else:
            click.echo(f"{shop}  non-expiring")


@tokens_cli.command("migrate")
@click.argument("shops", nargs=-1)
def migrate_tokens(shops: tuple[str, ...]) -> None:
    """Trade non-expiring tokens for expiring ones: the named shops, or every public-app shop.

    Shopify rejects public apps' non-expiring tokens from 2027-01-01; the app also migrates a shop's token the
    first time it needs it. Exits 1 when a migration failed.
    """
    settings = services().settings
    tokens = _tokens()
    names = [normalize_shop_domain(shop) for shop in shops] or sorted(tokens.shops())
    failed = False
    for shop in names:
        try:
            token = tokens.offline_token(shop)
            if token is None:
                outcome = "no token"
            elif not migrates(settings, shop):
                outcome = "kept (the custom app's token)"
            else:
                outcome = migrate_token(settings, services().store, shop)[1]
        except (ShopifyError, TokenSealError) as exc:
            outcome = f"failed: {type(exc).__name__}: {exc}"
        failed = failed or outcome.startswith(("failed", "refused"))
        click.echo(f"{shop}  {outcome}")
    if failed:
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    app.cli.add_command(policy_cli)
    app.cli.add_command(requests_cli)
    app.cli.add_command(tokens_cli)
