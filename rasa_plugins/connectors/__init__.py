"""Rasa input channels: REST with its guards, Telegram, and the web widget's relay."""
