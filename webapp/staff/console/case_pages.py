"""Medewerkers: the cases list and detail, status changes, photos, call-back requests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from functools import cache
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from core.categories import Taxonomy, load_categories
from core.clock import as_utc, zone
from core.domain import (
    CALLBACK_STATUSES,
    CASE_TYPES,
    CHANNELS,
    LABELS,
    STATUSES,
    TRANSITIONS,
    TransitionError,
)
from core.dutch.patterns import normalize_zaaknummer
from core.privacy.masking import mask
from webapp import push
from webapp.cases import nearby
from webapp.cases.models import Callback
from webapp.cases.store import Filters
from webapp.inputs import row_id, whole_number
from webapp.live.service import LIVE_KEY
from webapp.staff.console.context import console
from webapp.staff.console.render import flash, redirect, render
from webapp.staff.console.security import current_user, requires
from webapp.staff.users import MEDEWERKER

routes = web.RouteTableDef()
PER_PAGE = 25
MAX_NOTE = 2000


@cache
def taxonomy() -> Taxonomy:
    return load_categories()


def category_name(slug: str | None) -> str:
    """A case category's name ("Straatverlichting"), its slug when unknown."""
    found = taxonomy().get(slug) if slug else None
    return found.name if found else slug or "–"


def _pick(value: str | None, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


def _date(value: str | None) -> datetime | None:
    """A date from <input type=date>, as the start of that day in local time."""
    try:
        day = datetime.strptime(value or "", "%Y-%m-%d").date()
    except ValueError:
        return None
    return as_utc(datetime.combine(day, time.min, zone()))


def _page(value: str | None) -> int:
    return whole_number(value, 1, 99_999) or 1


def filters_of(q: Mapping[str, str]) -> Filters:
    """The list's filters from the query string; unknown values are ignored."""
    categorie = q.get("categorie") or None
    return Filters(
        type=_pick(q.get("type"), CASE_TYPES),
        status=_pick(q.get("status"), STATUSES),
        categorie=categorie if categorie and categorie in taxonomy() else None,
        kanaal=_pick(q.get("kanaal"), CHANNELS),
        since=_date(q.get("vanaf")),
        zoek=(q.get("zoek") or "").strip()[:100] or None,
    )


@routes.get("/zaken", name="zaken")
@requires(MEDEWERKER)
async def cases(request: web.Request) -> web.Response:
    q = request.query
    filters = filters_of(q)
    page = _page(q.get("pagina"))
    by_melders = q.get("sorteer") == "melders"
    found, total = await console(request).store.list(
        filters, page=page, per_page=PER_PAGE, by_melders=by_melders
    )
    pages = max(1, -(-total // PER_PAGE))
    kept = {k: v for k, v in q.items() if k != "pagina" and v}
    return await render(
        request,
        "staff/zaken.html",
        zaken=found,
        totaal=total,
        pagina=page,
        paginas=pages,
        filters=kept,
        types=CASE_TYPES,
        statussen=[(s, LABELS[s]) for s in STATUSES],
        kanalen=CHANNELS,
        taxonomie=taxonomy(),
        labels=LABELS,
        op_melders=by_melders,
    )


def _identificatie(request: web.Request) -> str:
    value = normalize_zaaknummer(request.match_info["identificatie"])
    if not value:
        raise web.HTTPNotFound()
    return value


@routes.get("/zaken/{identificatie}", name="zaak")
@requires(MEDEWERKER)
async def case_detail(request: web.Request) -> web.Response:
    store = console(request).store
    case = await store.get(_identificatie(request))
    if case is None:
        raise web.HTTPNotFound()
    category = taxonomy().get(case.categorie) if case.categorie else None
    fotos = await store.attachments(case.identificatie)
    extra = await nearby.reports(store, case.identificatie)
    return await render(
        request,
        "staff/zaak.html",
        zaak=case,
        categorie=category,
        # The first report's photos; each extra report lists its own.
        fotos=[f for f in fotos if f.report_id is None],
        meldingen=[
            (report, mask(report.omschrijving), [f for f in fotos if f.report_id == report.id])
            for report in extra
        ],
        labels=LABELS,
        overgangen=[(s, LABELS[s]) for s in STATUSES if s in TRANSITIONS[case.status]],
        afgemeld=bool(case.melder) and await store.opted_out(case.melder),
        # Filed by a medewerker from a live chat: which one (webapp/live/filing.py).
        live_chat=await _live_link(request, case.identificatie),
    )


async def _live_link(request: web.Request, identificatie: str) -> tuple[Any, Any] | None:
    live = request.app.get(LIVE_KEY)  # absent in a console without the widget's chat
    return await live.store.case_link(identificatie) if live is not None else None


@routes.post("/zaken/{identificatie}/status", name="zaak_status")
@requires(MEDEWERKER)
async def change_status(request: web.Request) -> web.StreamResponse:
    identificatie = _identificatie(request)
    form = await request.post()
    status = str(form.get("status", ""))
    note = str(form.get("toelichting", "")).strip()[:MAX_NOTE] or None
    store = console(request).store
    try:
        case = await store.change_status(
            identificatie, status, note, current_user(request).gebruikersnaam
        )
    except TransitionError:
        await flash(
            request,
            "Deze statuswijziging kan niet. Kies een van de aangeboden statussen, "
            "of schrijf een toelichting als de status gelijk blijft.",
            "fout",
        )
        raise redirect(request, "zaak", identificatie=identificatie) from None
    if case is None:
        raise web.HTTPNotFound()
    message = f"De status is nu '{LABELS[case.status]}'."
    # Residents hear it in the chat they reported from (webapp.push).
    told = await push.announce(request.config_dict[push.PUSHER_KEY], store, case)
    if told == 1:
        message += " De melder krijgt hiervan bericht in de chat."
    elif told > 1:
        message += f" De {told} melders krijgen hiervan bericht in de chat."
    await flash(request, message)
    raise redirect(request, "zaak", identificatie=identificatie)


@routes.get("/zaken/{identificatie}/fotos/{foto:\\d+}", name="zaak_foto")
@requires(MEDEWERKER)
async def photo(request: web.Request) -> web.Response:
    found = await console(request).store.attachment(
        _identificatie(request), row_id(request, "foto")
    )
    if found is None:
        raise web.HTTPNotFound()
    return web.Response(
        body=found.data,
        content_type=found.content_type,
        headers={"Content-Disposition": f'inline; filename="{found.bestandsnaam}"'},
    )


@routes.get("/terugbellen", name="terugbellen")
@requires(MEDEWERKER)
async def callbacks(request: web.Request) -> web.Response:
    status = request.query.get("status", "open")
    chosen = status if status in CALLBACK_STATUSES else None
    return await render(
        request,
        "staff/terugbellen.html",
        verzoeken=await console(request).store.callbacks(chosen),
        gekozen=chosen or "alle",
        statussen=CALLBACK_STATUSES,
    )


@routes.post("/terugbellen/{id:\\d+}", name="terugbelverzoek")
@requires(MEDEWERKER)
async def handle_callback(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    status = str(form.get("status", ""))
    if status not in CALLBACK_STATUSES:
        raise web.HTTPBadRequest()
    async with console(request).store.sessions() as session, session.begin():
        result = await session.execute(
            sa.update(Callback).where(Callback.id == row_id(request)).values(status=status)
        )
    if not result.rowcount:
        raise web.HTTPNotFound()
    await flash(request, f"Het terugbelverzoek staat nu op '{status}'.")
    raise redirect(request, "terugbellen")
