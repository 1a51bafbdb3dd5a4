"""Rendering the console's pages: layout context, flash messages, Dutch formatting."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from aiohttp import web
from aiohttp_session import get_session

from core import labels
from core.clock import local_text
from webapp.staff.console.context import console
from webapp.staff.console.security import USER_KEY, csrf_token, url_for
from webapp.staff.numbers import komma, procent
from webapp.staff.tracker import FALLBACK
from webapp.staff.users import BEHEERDER, MEDEWERKER, TRAINER, has_role

# (title, route name, role) of the menu.
MENU = [
    ("Zaken", "zaken", MEDEWERKER),
    ("Kaart", "kaart", MEDEWERKER),
    ("Live", "live", MEDEWERKER),
    ("Terugbelverzoeken", "terugbellen", MEDEWERKER),
    ("Gesprekken", "gesprekken", TRAINER),
    ("Inbox", "inbox", TRAINER),
    ("Voorbeelden en antwoorden", "voorbeelden", TRAINER),
    ("Training", "training", TRAINER),
    ("Modellen", "modellen", TRAINER),
    ("Overzicht", "overzicht", TRAINER),
    ("Accounts", "accounts", BEHEERDER),
]


CHANNEL_NAMES = {"web": "website", "telegram": "Telegram", "rest": "REST-koppeling"}


def channel_name(channel: str | None) -> str:
    """A resident's channel as staff call it ("website"), not its code ("web")."""
    return CHANNEL_NAMES.get(channel or "rest", channel or "onbekend kanaal")


def tijd(value: datetime | float | int | str | None) -> str:
    """'22-11-2026 14:51' in local time, from a datetime, epoch seconds or ISO text."""
    if value is None or value == "":
        return ""
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value, timezone.utc)
    elif isinstance(value, str):
        value = datetime.fromisoformat(value)
    return local_text(value)


def duur(seconds: float | None) -> str:
    if seconds is None:
        return "onbekend"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


# Below this confidence Balie did not understand the message (the FallbackClassifier's
# threshold in config.yml): it became nlu_fallback.
NOT_UNDERSTOOD = 0.3


def band(confidence: float | None, threshold: float, intent: str | None = None) -> str:
    """What a confidence means for a trainer; the inbox threshold separates sure from unsure."""
    if confidence is None:
        return "Zekerheid onbekend"
    if intent == FALLBACK or confidence < NOT_UNDERSTOOD:
        return "Balie begreep het niet"
    return "Balie was zeker" if confidence >= threshold else "Balie twijfelde"


# Filters of the console's templates (registered on the environment by `setup`).
FILTERS = {
    "komma": komma,
    "procent": procent,
    "band": band,
    "intentie": labels.naam,
    "kanaalnaam": channel_name,
}


async def flash(request: web.Request, text: str, kind: str = "ok") -> None:
    session = await get_session(request)
    session["flash"] = [*session.get("flash", []), [kind, text]]


async def render(
    request: web.Request, template: str, status: int = 200, **context: Any
) -> web.Response:
    session = await get_session(request)
    user = request.get(USER_KEY)
    messages = session.pop("flash", [])
    menu = [
        (title, url, request.path.startswith(str(url)))
        for title, url, role in ((t, url_for(request, n), r) for t, n, r in MENU)
        if user is not None and has_role(user, role)
    ]
    template_ = console(request).templates.get_template(template)
    html = template_.render(
        user=user,
        csrf=csrf_token(session),
        menu=menu,
        messages=messages,
        url=lambda name, **parts: url_for(request, name, **parts),
        tijd=tijd,
        duur=duur,
        procent=procent,
        status=status,
        **context,
    )
    return web.Response(text=html, status=status, content_type="text/html")


def redirect(request: web.Request, name: str, query: dict[str, str] | None = None, **parts: Any):
    url = url_for(request, name, **parts)
    return web.HTTPSeeOther(url.with_query(query) if query else url)
