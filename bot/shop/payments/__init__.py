"""Top-ups in Telegram Stars: quotes, invoices, pre-checkout, payment, refund.

values.py holds what the use cases hand out, errors.py what they refuse with, stars.py the
conversion between Stars and money, service.py `PaymentService` (invoices, pre-checkout,
payment; refunds.py its refunds), references.py the ledger references.

Money. Stars are whole (currency XTR). n Stars credit n x STARS_RATE rounded *down* to the
shop's minor unit; an amount asked for (a preset, a custom amount, an order's shortfall)
costs the fewest Stars whose credit covers it (rounded *up*). Either way the shop never
gives more than it was paid, the customer never gets less than they asked for, and the
exact credit is on the invoice before paying. Without STARS_RATE there are no top-ups.

Invoices. Issuing one writes a `payments` row (state `issued`) whose payload is a random
token. The pre-checkout query is accepted only for a payload we issued, to that customer,
still unpaid, not older than INVOICE_TTL, for exactly its Stars in XTR.

Payment. `successful_payment` marks the row `paid` with Telegram's
`telegram_payment_charge_id` (unique) and credits the wallet (ledger `stars:<charge id>`)
in one transaction, together with the operators' alert and the referrer's notice (outbox
rows, `PaymentNotices`); it is committed before the payer is thanked, so a thank-you that
fails to reach Telegram undoes nothing. A second delivery of the same payment changes
nothing.
The payer's referrer earns REFERRAL_PERCENT of the credit (ledger `referral:<charge id>`).
A payment we cannot match (a payload never issued, another customer's, a different amount
or currency) credits nothing; the handler alerts the operators.

Refund (/starsrefund <charge id>), in this order:
  1. one transaction: debit the wallet by the credit (ledger `stars-refund:<charge id>`),
     only if the balance still covers it ("unspent"; refused otherwise), take back what
     the referrer's balance still holds of their reward, and move the row `paid` ->
     `refunding`; commit;
  2. refundStarPayment (no transaction open);
  3. one transaction: Telegram refunded (or says it already had): `refunding` ->
     `refunded`, and the payer's notice queued. Telegram refused (a definite 400/403/404):
     a compensating credit (`stars-refund-reversal:<charge id>`, and the referrer's part
     back) and `refunding` -> `paid`, so nothing is lost. No answer (network, timeout,
     5xx, 429 flood control): the row stays `refunding` and the wallet debited; running
     /starsrefund again repeats step 2 only (Telegram's CHARGE_ALREADY_REFUNDED counts as
     done), and Telegram's refunded_payment message finishes it as well.
A later attempt after a refusal uses references suffixed with the attempt number.
"""
