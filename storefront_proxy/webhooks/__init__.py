"""Shopify's webhooks: verified intake at ``POST /webhooks``, and one handler per topic run by a worker."""
