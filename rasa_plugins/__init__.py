"""What runs inside the Rasa server: input channels (`connectors/`), the Dutch NLU
components (`nlu/`), the masking tracker store, the Redis lock store, the metrics event
broker, `speedups` (per-turn costs of Rasa's own done once), and
`server` (`python -m rasa_plugins.server run`: Rasa behind Balie's token)."""
