"""The persistent menu under the message field, /support, and kind answers to greetings."""
