"""The built-in case system: meldingen, verzoeken, their history, contacts, photos, call-backs."""
