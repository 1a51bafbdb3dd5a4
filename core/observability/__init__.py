"""Prometheus metrics and structured, personal-data-free logs for every Balie process.

- `metrics`: the metric definitions, one registry per kind of process.
- `logs`: `configure_logging(service)` (JSON lines or text, with personal data masked).

Each process serves its own: `rasa_plugins.broker` counts messages, intents and
fallbacks inside Rasa; `webapp.observability` and `actions.observability` are the
`/metrics` routes and request timing of the web app and the action server.
docs/observability.md lists every metric and how to scrape each process.
"""
