"""Support tickets: a customer writes to the shop, operators answer in their chat.

values.py holds the DTOs and refusals, tickets.py the use cases (SupportService)."""
