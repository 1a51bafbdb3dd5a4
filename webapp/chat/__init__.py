"""The website chat widget's relay: browser <-> web app (WebSocket) <-> Rasa (`balie_web`).

`routes.setup` wires it into the web app; `protocol` is shared with the Rasa-side
input channel in `rasa_plugins/connectors/web.py` and imports nothing heavy.
"""
