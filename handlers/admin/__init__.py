"""Admin commands and buttons (ADMIN_IDS only): stats, customers, money, catalogue,
orders, broadcasts, maintenance."""
