"""What can go wrong when the app talks to Shopify, sorted by what the caller should do about it."""

from __future__ import annotations


class ShopifyError(Exception):
    """Base of every Admin API failure."""


class ShopifyTransientError(ShopifyError):
    """Network failure, 5xx or throttling: try again later; nothing was decided."""


class ShopifyThrottledError(ShopifyTransientError):
    """The shop's cost bucket is empty; ``retry_after`` is what the bucket needs to refill."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ShopifyAuthError(ShopifyError):
    """The shop's access token was refused (uninstalled app, revoked or unknown token)."""


class ShopifyTokenRefusedError(ShopifyAuthError):
    """HTTP 401: the access token itself was refused; an expiring token may be refreshed and the call retried."""


class ShopifyQueryError(ShopifyError):
    """Shopify rejected the document itself (a bug on our side, never retried)."""


class UnknownShopError(ShopifyError):
    """No access token is registered for the shop."""


class ReauthorizationRequiredError(UnknownShopError):
    """Shopify refused the shop's refresh token (or it expired): the merchant has to open the app again."""


class AppUninstalledError(UnknownShopError):
    """The shop uninstalled the app (app/uninstalled): nothing is done for it until it installs the app again."""
