"""The storefront surface behind Shopify's app proxy: ``https://{shop}/apps/self-service/...`` → ``/proxy/...``."""
