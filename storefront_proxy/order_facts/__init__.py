"""The order facts the storefront shows, kept in Redis from webhooks and reads, so views spend no Admin API points."""
