"""Medewerkers: the cases on a map (Leaflet, served by Balie), with a plain list beside it.

The tiles come from the tile server in BALIE_MAP_TILES; without one the page is the list
alone. Typed addresses carry a point from the gemeente's street extract, shared
locations their own.
"""

from __future__ import annotations

from aiohttp import web

from core.domain import CASE_TYPES, CHANNELS, LABELS, STATUSES
from core.openbare_ruimte import straatlijst
from webapp.staff.console.case_pages import filters_of, taxonomy
from webapp.staff.console.context import console
from webapp.staff.console.render import render
from webapp.staff.console.security import requires
from webapp.staff.users import MEDEWERKER

routes = web.RouteTableDef()
# More markers than this make the map unreadable and the page slow; the filters narrow it.
MAX_POINTS = 500


@routes.get("/kaart", name="kaart")
@requires(MEDEWERKER)
async def case_map(request: web.Request) -> web.Response:
    q = request.query
    filters = filters_of(q)
    # Open cases unless a status is chosen or "alle" is ticked.
    open_only = not filters.status and q.get("alle") != "1"
    ctx = console(request)
    found, without = await ctx.store.located(filters, open_only=open_only, limit=MAX_POINTS)
    return await render(
        request,
        "staff/kaart.html",
        zaken=found,
        zonder_punt=without,
        maximum=MAX_POINTS,
        filters={k: v for k, v in q.items() if v},
        alleen_open=open_only,
        tegels=ctx.config.map_tiles,
        bronvermelding=ctx.config.map_attribution,
        midden=straatlijst().midden,
        types=CASE_TYPES,
        statussen=[(s, LABELS[s]) for s in STATUSES],
        kanalen=CHANNELS,
        taxonomie=taxonomy(),
        labels=LABELS,
    )
