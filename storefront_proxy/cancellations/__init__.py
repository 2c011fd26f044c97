"""A shopper's request to cancel an order: eligibility, the storefront's and support's use cases, carrying it out
in Shopify, its record, its Redis keys and its jobs."""
