"""Trainers and beheerders: the "Overzicht" page, its chart (SVG) and its figures (CSV)."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, datetime, timezone

from aiohttp import web

from core.domain import CHANNELS, LABELS
from webapp.staff.console.case_pages import category_name
from webapp.staff.console.context import console
from webapp.staff.console.render import render
from webapp.staff.console.security import requires
from webapp.staff.insight import DAY, Insight, Overview, Period
from webapp.staff.insight_charts import conversations_svg
from webapp.staff.insight_groups import group, texts_of
from webapp.staff.users import TRAINER

routes = web.RouteTableDef()
DEFAULT_DAYS = 28
MAX_DAYS = 366


def _insight(request: web.Request) -> Insight:
    ctx = console(request)
    return Insight(ctx.tracker.engine, ctx.store.engine)


def _day(raw: str | None) -> float | None:
    if not raw:
        return None
    try:
        return datetime.combine(
            date.fromisoformat(raw), datetime.min.time(), timezone.utc
        ).timestamp()
    except ValueError:
        raise web.HTTPBadRequest(text="Ongeldige datum: gebruik jjjj-mm-dd.") from None


def period_of(query: web.Request) -> Period:
    q = query.query
    unit = q.get("per", "dag")
    channel = q.get("kanaal") or None
    if unit not in ("dag", "week") or (channel is not None and channel not in CHANNELS):
        raise web.HTTPBadRequest(text="Onbekende keuze voor periode of kanaal.")
    today = (int(time.time()) // DAY + 1) * DAY
    end = _day(q.get("tot"))
    end = today if end is None else end + DAY  # "tot en met"
    start = _day(q.get("van"))
    start = end - DEFAULT_DAYS * DAY if start is None else start
    if not 0 < end - start <= MAX_DAYS * DAY:
        raise web.HTTPBadRequest(text=f"Kies een periode van 1 tot {MAX_DAYS} dagen.")
    return Period(start, end, unit, channel)


@routes.get("/overzicht", name="overzicht")
@requires(TRAINER)
async def overview(request: web.Request) -> web.Response:
    period = period_of(request)
    insight = _insight(request)
    figures = await insight.overview(period)
    groups = group(texts_of(await insight.unanswered(period)))
    return await render(
        request,
        "staff/overzicht.html",
        cijfers=figures,
        totaal=figures.totals,
        groepen=groups[:30],
        periode=period,
        keuze={k: v for k, v in request.query.items() if v},
        van=datetime.fromtimestamp(period.start, timezone.utc).date().isoformat(),
        tot=datetime.fromtimestamp(period.end - DAY, timezone.utc).date().isoformat(),
        kanalen=CHANNELS,
        categorie=category_name,
        labels=LABELS,
    )


@routes.get("/overzicht/gesprekken.svg", name="overzicht_grafiek")
@requires(TRAINER)
async def chart(request: web.Request) -> web.Response:
    rows = await _insight(request).conversation_rows(period_of(request))
    return _figures(conversations_svg(rows), "image/svg+xml")


def _figures(body: bytes, content_type: str, **headers: str) -> web.Response:
    """Figures are not kept by browsers or proxies: they are staff-only."""
    return web.Response(
        body=body,
        headers={"Content-Type": content_type, "Cache-Control": "no-store", **headers},
    )


def figures_csv(figures: Overview) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["onderdeel", "sleutel", "waarde", "extra"])
    for row in figures.rows:
        writer.writerow(["gesprekken", row.label, row.conversations, ""])
        writer.writerow(["berichten", row.label, row.messages, ""])
        writer.writerow(["niet begrepen", row.label, row.unanswered, ""])
    for topic, count in figures.topics:
        writer.writerow(["onderwerp", topic, count, ""])
    for kind, category, count in figures.cases:
        writer.writerow(["zaken", kind, count, category])
    writer.writerow(["terugbelverzoeken", "", figures.callbacks, ""])
    for status, seconds in figures.median_to_status:
        writer.writerow(["mediaan tot status (s)", status, round(seconds), ""])
    for label, up, down in figures.thumbs:
        writer.writerow(["duim omhoog/omlaag", label, up, down])
    return out.getvalue()


@routes.get("/overzicht.csv", name="overzicht_csv")
@requires(TRAINER)
async def export(request: web.Request) -> web.Response:
    figures = await _insight(request).overview(period_of(request))
    return _figures(
        figures_csv(figures).encode(),
        "text/csv; charset=utf-8",
        **{"Content-Disposition": 'attachment; filename="overzicht.csv"'},
    )
