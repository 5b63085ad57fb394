"""A customer's orders: the list, a card, refresh, refill and cancel."""
