"""The persistent menu under the message field and kind answers to greetings."""
