"""Local stand-in for a Shopify shop (Admin GraphQL on the real schema, app proxy), for development and tests."""
