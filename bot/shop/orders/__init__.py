"""Orders: price quotes, checkout, the state machine with its refunds, and reading.

- models.py: the values handed out (a priced `Draft`, `OrderDTO`, a page, a change);
- form.py: the customer's form checked and typed into the panel's `add` request, and
  the units it is priced for;
- checkout.py: `quote` and `checkout` (debit and insert in one transaction);
- transitions.py: the state machine, its refunds, and manual refunds;
- service.py: `OrderService`, the use cases of all of these on one object.
"""
