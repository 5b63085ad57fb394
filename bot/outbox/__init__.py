"""Outbound messages: the notification outbox and the sender that drains it.

Writing: every message to a customer or to the operators' chat (a status change, a
refund, an alert, a broadcast) is a row of the `outbox` table, written through `Outbox`
(writer.py) in the same transaction as the change it reports. Nothing is sent from
inside a transaction, and a change that rolls back takes its message with it.

Sending: `OutboxSender` (sender.py) drains the table (one sender across replicas: it runs
only while it holds its leader lock, see bot/jobs/locks.py), at the pace of `Pacer`
(pacer.py):

- a row is claimed in a short transaction (status `sending`, with a lease), sent with no
  transaction open, then marked `sent` (with Telegram's message id) in another short
  transaction right after Telegram confirms it;
- pace: NOTIFY_RATE_PER_SECOND overall, about one message a second per chat (with a
  small burst) and 20 a minute per group chat (the operators' chat), order updates and
  alerts before broadcasts (`Priority`);
- 429: everything pauses for `retry_after`, the row goes back to the queue and is sent
  again after the pause (not counted as a failure);
- 403 "blocked by the user": the customer is marked unreachable (`users.unreachable_since`)
  and their queued messages are skipped; when they write again, the order and payment
  messages skipped in the last week are queued again (broadcasts are not);
- other failures: retried with exponential backoff, then `dead` (a dead letter admins
  can list and requeue: `Outbox.dead_letters()`, `Outbox.requeue()`).

Delivery guarantee: a restart loses nothing (rows are durable before anything is sent),
and a message confirmed sent (marked `sent`) is never sent again. The one window: a
crash after Telegram accepted a message and before it was marked `sent` leaves the row
`sending`. An order's or a payment's message is then put back in the queue and sent
again (at least once: at most the `concurrency` messages in flight at the crash can be
duplicated, none lost). A broadcast's row is sent at most once instead: the sender notes
`handed_at` just before the Bot API call, and after a crash a row not handed over yet is
queued again while one handed over is given up (dead, "interrupted", counted as failed
in the broadcast's report): at most `concurrency` broadcast messages in flight at the
crash may be missing, none duplicated.
"""
