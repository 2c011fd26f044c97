"""Shopify Admin GraphQL: the client, the documents it sends, and the models it returns."""
