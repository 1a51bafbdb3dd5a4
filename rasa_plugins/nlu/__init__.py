"""Custom Rasa NLU components for Dutch (referenced by module path in config.yml)."""
