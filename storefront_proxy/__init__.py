"""Self-service order cancellation for Shopify storefronts: the web app behind Shopify's app proxy."""
