"""Installs from a link, outside the Shopify admin: the authorization-code grant (``/auth``)."""
