"""The merchant and support surface, embedded in the Shopify admin: ``/admin/...``, session-token auth."""
