"""Outbound messages: the notification outbox and the sender that drains it.

Writing: every message to a customer or to the operators' chat (a status change, a
refund, an alert, a broadcast) is a row of the `outbox` table, written through `Outbox`
(writer.py) in the same transaction as the change it reports. Nothing is sent from
inside a transaction, and a change that rolls back takes its message with it.

Sending: `OutboxSender` (sender.py) drains the table (one sender across replicas: it runs
only while it holds its leader lock, see bot/jobs/locks.py):

- a row is claimed in a short transaction (status `sending`, with a lease), sent with no
  transaction open, then marked `sent` (with Telegram's message id) in another short
  transaction right after Telegram confirms it;
- order updates and alerts before broadcasts (`Priority`), then oldest first.

Pace: one `SendPace` per process (pacer.py, `deps.pace`) holds Telegram's budgets for
everything the bot sends, replies of handlers included: NOTIFY_RATE_PER_SECOND overall
(and never more than that many in any second), about one message a second per private
chat after a burst of 3, 20 a minute per group chat. Replies and edits wait for it in
`PacedSends` on the Bot's session (pacing_session.py); the sender takes its slots from
the same object, each right before its request leaves. The policy between the two:

- a reply waits for its own chat's turn, then books the next free overall slot; the
  sender takes only a slot that is free now and leaves a chat alone while a reply to it
  waits. A reply is therefore never behind the outbox's queue (a slot or a few of the
  sender's small burst at most), and the outbox sends in what replies leave: under heavy
  browsing the drain slows, the rate never goes over;
- answerCallbackQuery and other calls that put no message in a chat are not paced.

Several replicas: each paces what it sends itself, and only the sender's leader sends the
outbox, so the leader's replies and the notifications share one budget exactly and other
replicas' replies come on top (README, "Several replicas").

429 (which the pace should prevent): Telegram does not say which limit was hit, and every
chat is paced within its own, so the bot as a whole is taken to be over: that chat and
everything else wait `retry_after` (`SendPace.hold`), whether the 429 came to a reply or
to the outbox. The outbox row goes back to the queue, due after the pause (not counted
as a failure); a reply is tried once more by RetryAfterMiddleware when the pause is short.

Other outcomes of a send:

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
