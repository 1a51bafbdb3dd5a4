"""Input/output channels for the Rasa server (Telegram, web widget relay)."""
