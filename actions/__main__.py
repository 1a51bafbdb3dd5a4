"""The action server: rasa-sdk's endpoint, the outbox worker and the purge of what it owns
(`python -m actions`)."""

from __future__ import annotations

import asyncio

from rasa_sdk.endpoint import create_app

from actions import retention
from actions.auth import require_token
from actions.delivery import delivery
from actions.observability import instrument
from core.observability.logs import configure_logging
from core.privacy.permissions import secure_process
from core.settings import Settings


def main() -> None:
    settings = Settings.from_env()
    secure_process(settings.data_dir)  # the outbox file, the key file: owner only
    configure_logging("actions")
    app = create_app("actions", cors_origins=None)
    require_token(app, settings.rasa_token())
    # GET /metrics, action timing; the outbox is counted when Prometheus asks.
    instrument(app, lambda: delivery().outbox.counts())

    @app.listener("after_server_start")
    async def start_worker(app, loop) -> None:
        app.ctx.outbox_worker = asyncio.ensure_future(delivery().run_worker())

    @app.listener("before_server_stop")
    async def stop_worker(app, loop) -> None:
        app.ctx.outbox_worker.cancel()
        await delivery().close()

    # The outbox and the guess counts are this process's: it purges them and forgets a
    # resident's entries when the web app asks. (Registered last: stops before the worker.)
    retention.setup(app, lambda: delivery().outbox)

    # One worker process: the outbox worker must not run twice on one file.
    app.run(settings.host, settings.action_port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
