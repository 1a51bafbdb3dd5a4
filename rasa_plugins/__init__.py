"""What runs inside the Rasa server: input channels (`connectors/`), the Dutch NLU
components (`nlu/`), the masking tracker store, the Redis lock store, the metrics event
broker, the compiled check of the action server's answers (`action_responses`), and
`server` (`python -m rasa_plugins.server run`: Rasa behind Balie's token)."""
