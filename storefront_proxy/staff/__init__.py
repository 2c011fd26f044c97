"""The shops' staff members as the admin names them: the name Shopify gives for a session token's ``sub``."""
