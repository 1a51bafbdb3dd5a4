"""The web app on a free loopback port, on a given database, with a known API token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from actions.backends.ledger import Ledger
from core.caseapi.client import CaseApiClient
from tests.conftest import make_settings
from webapp.app import create_app
from webapp.cases.migrate import migrate
from webapp.settings import WebSettings

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@asynccontextmanager
async def serve(
    db_url: str, tmp_path: Path, **fields: Any
) -> AsyncIterator[tuple[web.Application, WebSettings]]:
    """The web app on db_url with the test token; `fields` of its settings as given."""
    settings = make_settings(
        tmp_path, configured_database_url=db_url, configured_api_token=TOKEN, **fields
    )
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.web_port).start()
    try:
        yield app, settings
    finally:
        await runner.cleanup()


@asynccontextmanager
async def case_api(db_url: str, tmp_path: Path, **fields: Any) -> AsyncIterator[str]:
    """The Case API's base URL, on a migrated database."""
    migrate(db_url)
    async with serve(db_url, tmp_path, **fields) as (_, settings):
        yield f"{settings.web_url}/api/v1"


def ledger(case_api_url: str) -> Ledger:
    """The Signalen/ZGW adapters' receipts, kept by the web app behind `case_api_url`."""
    return Ledger(client(case_api_url))


def client(case_api_url: str) -> CaseApiClient:
    """A Case API client of the web app behind `case_api_url`, with the test token."""
    return CaseApiClient(case_api_url, TOKEN)
