"""Beheerders: accounts (create, roles, disable, reset password, unlock) and the audit log."""

from __future__ import annotations

from aiohttp import web

from webapp.inputs import row_id
from webapp.staff import audit
from webapp.staff.console.context import console
from webapp.staff.console.render import flash, redirect, render
from webapp.staff.console.security import current_user, requires
from webapp.staff.users import BEHEERDER, ROLE_LABELS, ROLES, UserError, roles_of

routes = web.RouteTableDef()


async def _page(request: web.Request, status: int = 200, **extra: object) -> web.Response:
    ctx = console(request)
    users = await ctx.users.all()
    return await render(
        request,
        "staff/accounts.html",
        status=status,
        accounts=[(u, roles_of(u)) for u in users],
        geblokkeerd=await ctx.users.blocked(users),
        rollen=[(r, ROLE_LABELS[r]) for r in ROLES],
        logboek=await audit.recent(ctx.store.sessions, limit=40),
        details=audit.details_of,
        **{"invoer": {}, **extra},
    )


@routes.get("/accounts", name="accounts")
@requires(BEHEERDER)
async def accounts(request: web.Request) -> web.Response:
    return await _page(request)


@routes.post("/accounts", name="account_nieuw")
@requires(BEHEERDER)
async def create(request: web.Request) -> web.StreamResponse:
    ctx, me = console(request), current_user(request)
    form = await request.post()
    name = str(form.get("gebruikersnaam", ""))
    roles = [str(r) for r in form.getall("rollen", [])]
    try:
        user = await ctx.users.create(name, str(form.get("wachtwoord", "")), roles)
    except UserError as exc:
        return await _page(
            request, 400, fout=str(exc), invoer={"gebruikersnaam": name, "rollen": roles}
        )
    await audit.record(
        ctx.store.sessions,
        me.gebruikersnaam,
        "account_aangemaakt",
        user.gebruikersnaam,
        rollen=user.rollen,
    )
    await flash(request, f"Account '{user.gebruikersnaam}' is aangemaakt.")
    raise redirect(request, "accounts")


@routes.post("/accounts/{id:\\d+}", name="account")
@requires(BEHEERDER)
async def change(request: web.Request) -> web.StreamResponse:
    ctx, me = console(request), current_user(request)
    user = await ctx.users.get(row_id(request))
    if user is None:
        raise web.HTTPNotFound()
    form = await request.post()
    action = str(form.get("actie", ""))
    try:
        if action == "rollen":
            roles = [str(r) for r in form.getall("rollen", [])]
            if BEHEERDER in roles_of(user) and BEHEERDER not in roles:
                await _keep_a_beheerder(ctx, user.id)
            await ctx.users.set_roles(user.id, roles)
            message = f"De rollen van '{user.gebruikersnaam}' zijn gewijzigd."
        elif action in ("blokkeren", "deblokkeren"):
            if action == "blokkeren":
                await _keep_a_beheerder(ctx, user.id)
            await ctx.users.set_active(user.id, action == "deblokkeren")
            message = f"Account '{user.gebruikersnaam}' is " + (
                "uitgeschakeld." if action == "blokkeren" else "weer actief."
            )
        elif action == "wachtwoord":
            await ctx.users.set_password(user.id, str(form.get("wachtwoord", "")))
            message = f"Het wachtwoord van '{user.gebruikersnaam}' is opnieuw ingesteld."
        elif action == "ontgrendelen":
            await ctx.users.unlock(user.id)
            message = f"Account '{user.gebruikersnaam}' is ontgrendeld."
        else:
            raise web.HTTPBadRequest()
    except UserError as exc:
        await flash(request, str(exc), "fout")
        raise redirect(request, "accounts") from None
    await audit.record(
        ctx.store.sessions, me.gebruikersnaam, f"account_{action}", user.gebruikersnaam
    )
    await flash(request, message)
    raise redirect(request, "accounts")


async def _keep_a_beheerder(ctx, user_id: int) -> None:
    if BEHEERDER in roles_of(
        await ctx.users.get(user_id)
    ) and not await ctx.users.other_active_beheerders(user_id):
        raise UserError("Er moet minstens één actieve beheerder overblijven.")
