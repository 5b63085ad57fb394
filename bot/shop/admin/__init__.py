"""What admins do: look up customers and orders, adjust balances, ban, set markups, hide
services, refund, resolve `unknown` orders, switch maintenance.

`AdminService` (service.py) holds them all; customers.py, catalogue.py and orders.py hold
its parts, parsing.py reads their typed arguments and values.py holds their results.

Every action writes one audit row (who, what, arguments) in the same transaction as its
change and inside a SAVEPOINT, so a refusal leaves nothing behind, not even the row.
Calls to the panel happen with no transaction open (SQLite holds its write lock for a
whole transaction); what they change is written afterwards.
"""
