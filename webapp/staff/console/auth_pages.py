"""Logging in and out, changing one's own password, the start page."""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from core.client_address import of_request
from core.throttle import when
from webapp.staff import audit
from webapp.staff.console.context import console
from webapp.staff.console.render import flash, redirect, render
from webapp.staff.console.security import current_user, public, requires, safe_next, start_session
from webapp.staff.users import Login, UserError, has_role

routes = web.RouteTableDef()


def refusal(result: Login, wrong: str) -> str:
    """The same text for every name, existing or not (Dutch, for the form)."""
    if result.locked_until is None:
        return wrong
    return (
        "Te veel mislukte pogingen met deze gebruikersnaam vanaf deze verbinding. "
        f"Probeert u het {when(result.locked_until)} opnieuw, of vraag een beheerder."
    )


@routes.get("/inloggen", name="inloggen")
@public
async def login_page(request: web.Request) -> web.Response:
    return await render(request, "staff/inloggen.html", volgende=request.query.get("volgende", ""))


@routes.post("/inloggen")
@public
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username, password = str(form.get("gebruikersnaam", "")), str(form.get("wachtwoord", ""))
    volgende = str(form.get("volgende", ""))
    ctx = console(request)
    address = of_request(request.remote, request.headers, ctx.settings.trusted_proxies)
    result = await ctx.users.login(username, password[:200], address)
    if result.user is None:
        return await render(
            request,
            "staff/inloggen.html",
            status=401,
            fout=refusal(result, "Onjuiste gebruikersnaam of wachtwoord."),
            gebruikersnaam=username[:64],
            volgende=volgende,
        )
    await start_session(request, result.user)
    raise web.HTTPSeeOther(safe_next(volgende))


@routes.post("/uitloggen", name="uitloggen")
@requires()
async def logout(request: web.Request) -> web.StreamResponse:
    # Ends this user's sessions everywhere: a cookie copied elsewhere stops working too.
    await console(request).users.end_sessions(current_user(request).id)
    (await get_session(request)).invalidate()
    await flash(request, "U bent uitgelogd.")
    raise redirect(request, "inloggen")


@routes.get("/", name="start")
@requires()
async def start(request: web.Request) -> web.Response:
    user = current_user(request)
    return await render(
        request,
        "staff/start.html",
        medewerker=has_role(user, "medewerker"),
        trainer=has_role(user, "trainer"),
        beheerder=has_role(user, "beheerder"),
    )


@routes.get("/wachtwoord", name="wachtwoord")
@requires()
async def password_page(request: web.Request) -> web.Response:
    return await render(request, "staff/wachtwoord.html")


@routes.post("/wachtwoord")
@requires()
async def change_password(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    ctx, user = console(request), current_user(request)
    current = str(form.get("huidig", ""))
    new, again = str(form.get("nieuw", "")), str(form.get("herhaling", ""))
    address = of_request(request.remote, request.headers, ctx.settings.trusted_proxies)
    check = await ctx.users.login(user.gebruikersnaam, current, address)
    error = None
    if check.user is None:
        error = refusal(check, "Uw huidige wachtwoord klopt niet.")
    elif new != again:
        error = "De twee nieuwe wachtwoorden zijn niet gelijk."
    else:
        try:
            await ctx.users.set_password(user.id, new)
        except UserError as exc:
            error = str(exc)
    if error:
        return await render(request, "staff/wachtwoord.html", status=400, fout=error)
    await audit.record(ctx.store.sessions, user.gebruikersnaam, "wachtwoord_gewijzigd")
    refreshed = await ctx.users.get(user.id)
    if refreshed is None:  # removed by a beheerder meanwhile
        raise redirect(request, "inloggen")
    await start_session(request, refreshed)
    await flash(request, "Uw wachtwoord is gewijzigd. Andere sessies zijn beëindigd.")
    raise redirect(request, "start")
