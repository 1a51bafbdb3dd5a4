"""The staff console under /staff, plus the model server route."""

from __future__ import annotations

import functools

import aiohttp_session
import jinja2
from aiohttp import web
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet

from core.db import create_engine
from core.privacy.keys import session_key
from webapp.cases.store import CaseStore
from webapp.settings import WebSettings
from webapp.staff import modelserver
from webapp.staff.console import (
    account_pages,
    auth_pages,
    case_pages,
    conversation_pages,
    insight_pages,
    live_pages,
    map_pages,
    model_pages,
)
from webapp.staff.console.context import CONSOLE_KEY, Console
from webapp.staff.console.guard import guard
from webapp.staff.console.render import FILTERS
from webapp.staff.console.runner import JobRunner
from webapp.staff.console.security import COOKIE, IDLE_SECONDS, PREFIX, is_console
from webapp.staff.jobs import Jobs
from webapp.staff.registry import Registry
from webapp.staff.tracker import TrackerReader
from webapp.staff.trainingdata import StaffDataFile
from webapp.staff.users import Users

PAGES = (
    auth_pages,
    case_pages,
    map_pages,
    live_pages,
    conversation_pages,
    model_pages,
    account_pages,
    insight_pages,
)


def create_console(
    settings: WebSettings, store: CaseStore, templates: jinja2.Environment
) -> Console:
    config = settings.staff
    tracker_url = settings.tracker_database_url
    tracker_engine = (
        store.engine if tracker_url == settings.database_url else create_engine(tracker_url)
    )
    jobs = Jobs(settings.jobs_dir, settings.models_dir)
    return Console(
        settings=settings,
        config=config,
        store=store,
        users=Users(store.sessions),
        tracker=TrackerReader(tracker_engine),
        # The lock in the (shared, untracked) models directory: every instance takes it.
        staff_data=StaffDataFile(config.data_file, settings.models_dir / ".staff-data.lock"),
        registry=Registry(settings.models_dir),
        jobs=jobs,
        runner=JobRunner(settings, config, jobs),
        templates=templates,
    )


def _middleware(ctx: Console):
    """Sessions and the guard, for /staff paths only.

    The console's routes live on the main application rather than a sub-application:
    aiohttp 3.9 resolves sub-application prefixes through request.url, which the
    installed yarl refuses for a Host header with a port.
    """
    storage = EncryptedCookieStorage(
        Fernet(session_key(ctx.settings)),
        cookie_name=COOKIE,
        path=PREFIX,
        httponly=True,
        samesite="Strict",
        secure=ctx.config.secure_cookie,
        max_age=IDLE_SECONDS,
    )
    sessions = aiohttp_session.session_middleware(storage)

    @web.middleware
    async def console_only(request: web.Request, handler):
        if not is_console(request.path):
            return await handler(request)
        return await sessions(request, functools.partial(guard, handler=handler))

    return console_only


def setup(
    app: web.Application, settings: WebSettings, store: CaseStore, templates: jinja2.Environment
) -> None:
    """The console at /staff and the live model at /models/live.tar.gz."""
    ctx = create_console(settings, store, templates)
    templates.filters.update(FILTERS)
    app[CONSOLE_KEY] = ctx
    modelserver.setup(app, ctx.registry, settings.api_token())
    app.middlewares.append(_middleware(ctx))
    for pages in PAGES:
        for route in pages.routes:
            assert isinstance(route, web.RouteDef)
            name = route.kwargs.get("name")
            app.router.add_route(
                route.method,
                PREFIX + route.path,
                route.handler,
                name=f"staff.{name}" if name else None,
            )

    async def to_console(request: web.Request) -> web.StreamResponse:
        raise web.HTTPPermanentRedirect(PREFIX + "/")

    app.router.add_get(PREFIX, to_console)

    async def lifecycle(app: web.Application):
        yield
        await ctx.runner.close()
        if ctx.tracker.engine is not store.engine:
            await ctx.tracker.engine.dispose()

    app.cleanup_ctx.append(lifecycle)
