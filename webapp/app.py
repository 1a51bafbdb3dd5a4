"""aiohttp application factory for the web app."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import jinja2
from aiohttp import web
from xstatic.pkg import leaflet

from core.content import gemeente_settings
from core.privacy.permissions import secure_process
from webapp import api, errors, observability, push, receipts
from webapp.cases.migrate import migrate
from webapp.cases.receipts import Receipts
from webapp.cases.store import CaseStore
from webapp.chat import routes as chat
from webapp.feedback import routes as feedback_routes
from webapp.privacy import retention
from webapp.settings import WebSettings
from webapp.staff import console as staff

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
)
SETTINGS_KEY = web.AppKey("settings", WebSettings)
HTTP_KEY = web.AppKey("http", aiohttp.ClientSession)

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


async def _answers(http: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with http.get(url) as resp:
            return resp.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return False


async def index(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS_KEY]
    http = request.app[HTTP_KEY]
    services = [
        ("Rasa server", settings.rasa_url + "/", "NLU, dialoog en REST-kanaal"),
        ("Action server", settings.action_url + "/health", "acties naar het zaaksysteem"),
        ("Web app", settings.web_url + "/health", "deze pagina, health"),
    ]
    up = await asyncio.gather(*(_answers(http, url) for _, url, _ in services))
    html = TEMPLATES.get_template("index.html").render(
        gemeente=gemeente_settings(),
        services=[
            (name, url, what, ok) for (name, url, what), ok in zip(services, up, strict=False)
        ],
        rest_url=settings.rasa_url + "/webhooks/rest/webhook",
    )
    return web.Response(text=html, content_type="text/html")


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "service": "web"})


@web.middleware
async def security_headers(request: web.Request, handler):
    response = await handler(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)  # a page may set a stricter policy itself
    return response


async def _http_session(app: web.Application):
    app[HTTP_KEY] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2))
    yield
    await app[HTTP_KEY].close()


def create_app(settings: WebSettings) -> web.Application:
    """The web app on an already migrated database."""
    # client_max_size bounds the forms aiohttp parses (the staff console's); JSON and
    # photos are read by webapp.bodies.read_body with limits of their own.
    app = web.Application(
        # observe_requests first: it times every request and sees the final status.
        middlewares=[observability.observe_requests, errors.guard, security_headers],
        client_max_size=1024**2,
    )
    app[SETTINGS_KEY] = settings
    app.cleanup_ctx.append(_http_session)
    store = CaseStore.from_url(settings.database_url)
    api.setup(app, store, settings.api_token(), settings.duplicates)
    feedback_routes.setup(app)  # residents' thumbs up/down, behind the API token
    receipts.setup(app, Receipts(store.engine))  # cases in Signalen/ZGW (action server)
    push.setup(app, settings)
    chat.setup(app, settings, store, TEMPLATES)  # the website chat widget and /demo
    staff.setup(app, settings, store, TEMPLATES)  # /staff console, /models model server
    # Forgetting residents; the purge every BALIE_PURGE_INTERVAL_MINUTES.
    retention.setup(app, settings, store)

    async def _close_store(app: web.Application) -> None:
        await store.close()

    # Last: the purge and the staff's background jobs stop before the store closes.
    app.on_cleanup.append(_close_store)  # type: ignore[arg-type]  # aiohttp 3.9 vs aiosignal 1.4 typing
    app.router.add_get("/", index)
    app.router.add_get("/health", health)
    # GET /metrics (Prometheus); with BALIE_METRICS_REQUIRE_TOKEN for the Case API's token.
    observability.setup(app, settings.api_token() if settings.metrics_require_token else None)
    app.router.add_static("/static", Path(__file__).parent / "static")
    # Leaflet for the staff's cases map, from its PyPI packaging (no CDN).
    app.router.add_static("/vendor/leaflet", leaflet.BASE_DIR)
    return app


def serve(settings: WebSettings) -> None:
    """`python -m bot web`: the settings are the entry point's (bot/cli.py)."""
    secure_process(settings.data_dir, settings.models_dir)
    migrate(settings.database_url)
    web.run_app(create_app(settings), host=settings.host, port=settings.web_port, print=None)
