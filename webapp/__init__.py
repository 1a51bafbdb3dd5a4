"""The web app (aiohttp): the widget's chat relay (`chat/`), the Case API (`api.py`) over
the built-in case system (`cases/`), the staff console and model life cycle (`staff/`),
retention and forgetting (`privacy/`), status pages and the model server for Rasa."""
