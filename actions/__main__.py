"""The action server: rasa-sdk's endpoint, the outbox worker and the purge of what it owns
(`python -m actions`)."""

from __future__ import annotations

import asyncio
import sys

from rasa_sdk.endpoint import create_app

from actions import delivery, retention, statusnieuws
from actions.auth import require_token
from actions.delivery import Delivery
from actions.observability import instrument
from actions.settings import ActionSettings
from core.dutch import patterns
from core.observability.logs import configure_logging
from core.openbare_ruimte import straatlijst
from core.privacy.permissions import secure_process


def main() -> int:
    settings = ActionSettings.for_process()  # the process's one settings object
    secure_process(settings.data_dir)  # the outbox file, the key file: owner only
    configure_logging("actions", fmt=settings.log_format, level=settings.log_level)
    # The gemeente's street list, read now: a broken file stops the start, not a melding.
    straatlijst()
    # The status form's word list, read now rather than in the first status lookup.
    patterns.preload()
    cases = Delivery.of(settings)
    delivery.install(cases)  # for the actions, which rasa-sdk makes without arguments
    app = create_app("actions", cors_origins=None)
    require_token(app, settings.rasa_token(), statusnieuws.callback_paths(settings))
    # GET /metrics, action timing; the outbox is counted when Prometheus asks.
    instrument(app, cases.outbox.counts)

    @app.listener("after_server_start")
    async def start_worker(app, loop) -> None:
        app.ctx.outbox_worker = asyncio.ensure_future(cases.run_worker())

    @app.listener("before_server_stop")
    async def stop_worker(app, loop) -> None:
        app.ctx.outbox_worker.cancel()
        await cases.close()

    # Status news from Signalen or ZGW, when configured (one process: one poller).
    statusnieuws.setup(app, settings)

    # The outbox and the guess counts are this process's: it purges them and forgets a
    # resident's entries when the web app asks. (Registered last: stops before the worker.)
    retention.setup(app, cases.outbox, settings.retention, settings.purge_interval)

    # One worker process: the outbox worker must not run twice on one file.
    app.run(settings.host, settings.action_port, workers=1, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
