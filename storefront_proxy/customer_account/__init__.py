"""The backend of the customer-account extension (``customer_account_extension/``): ``/customer-account/...``,
called with ``fetch`` from Shopify's new customer accounts and verified by the extension's session token."""
