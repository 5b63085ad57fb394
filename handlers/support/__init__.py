"""Support tickets: the customer's side (router.py), the operators' chat (operators.py) and
the admins' /tickets (admin.py), with their texts, keyboards, callbacks and states."""
