"""A shop's self-service policy: windows, review, refunds and reasons, as the merchant sets them."""
