"""How an Application (bot/app.py) is run: `polling` (getUpdates) or `webhook` (Telegram
POSTs to this process). `python -m bot run` picks one by WEBHOOK_URL."""
