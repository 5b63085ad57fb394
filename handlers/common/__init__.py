"""What every feature's handlers share: showing and telling, the customer's words for
common things, the error router and its texts."""
