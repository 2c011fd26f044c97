"""The storefront proxy path a shop's app proxy uses, told to the theme blocks."""
