"""RQ workers: background jobs that call Shopify on the shopper's behalf."""
