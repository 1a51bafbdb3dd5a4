"""The action server: rasa-sdk's endpoint plus the outbox worker (`python -m actions`)."""

from __future__ import annotations

import asyncio
import logging

from rasa_sdk.endpoint import create_app

from actions.delivery import delivery
from bot.settings import Settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    app = create_app("actions", cors_origins=None)

    @app.listener("after_server_start")
    async def start_worker(app, loop) -> None:  # type: ignore[no-untyped-def]
        app.ctx.outbox_worker = asyncio.ensure_future(delivery().run_worker())

    @app.listener("before_server_stop")
    async def stop_worker(app, loop) -> None:  # type: ignore[no-untyped-def]
        app.ctx.outbox_worker.cancel()
        await delivery().close()

    # One worker process: the outbox worker must not run twice on one file.
    app.run(settings.host, settings.action_port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
