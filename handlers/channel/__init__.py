"""REQUIRED_CHANNEL: the storefront asks a customer to join the shop's channel first."""
