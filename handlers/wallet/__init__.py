"""The customer's money: balance, top-ups in Stars, payments support, referral, promo codes."""
