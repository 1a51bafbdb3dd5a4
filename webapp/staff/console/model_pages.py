"""Trainers: training jobs with progress, models with their evaluation, promotion, rollback."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from core.privacy.masking import mask
from webapp.staff import audit, evaluation
from webapp.staff.console.context import console
from webapp.staff.console.render import duur, flash, redirect, render
from webapp.staff.console.security import current_user, requires
from webapp.staff.jobs import EVALUATE, RUNNING, TRAIN, Busy
from webapp.staff.promotion import PromotionRefused, judge, promote
from webapp.staff.registry import RegistryError
from webapp.staff.users import BEHEERDER, TRAINER, has_role

routes = web.RouteTableDef()
MODEL = "{naam:[A-Za-z0-9._-]{1,100}}"


@routes.get("/training", name="training")
@requires(TRAINER)
async def training_page(request: web.Request) -> web.Response:
    ctx = console(request)
    jobs = await asyncio.to_thread(ctx.jobs.recent, 15)
    live = await asyncio.to_thread(ctx.registry.live)
    return await render(
        request,
        "staff/training.html",
        taken=jobs,
        bezig=next((j for j in jobs if j.status == RUNNING), None),
        live=live,
        staff=await ctx.staff_data.data(),
        config=ctx.config,
    )


@routes.post("/training", name="training_start")
@requires(TRAINER)
async def start_training(request: web.Request) -> web.StreamResponse:
    ctx, user = console(request), current_user(request)
    try:
        job = await console(request).runner.start(TRAIN, user.gebruikersnaam)
    except Busy as exc:
        await flash(request, str(exc), "fout")
        raise redirect(request, "training") from None
    await audit.record(ctx.store.sessions, user.gebruikersnaam, "training_gestart", job.id)
    raise redirect(request, "taak", id=job.id)


def _job(request: web.Request):
    job = console(request).jobs.get(request.match_info["id"])
    if job is None:
        raise web.HTTPNotFound()
    return job


@routes.get("/training/{id}", name="taak")
@requires(TRAINER)
async def job_page(request: web.Request) -> web.Response:
    job = _job(request)
    state = await asyncio.to_thread(job.state)
    return await render(
        request,
        "staff/taak.html",
        taak=state,
        log=mask(await asyncio.to_thread(job.log_tail, 60)),
    )


@routes.get("/training/{id}/status", name="taak_status")
@requires(TRAINER)
async def job_status(request: web.Request) -> web.Response:
    job = _job(request)
    state = await asyncio.to_thread(job.state)
    return web.json_response(
        {
            "status": state.status,
            "percent": state.percent,
            "label": state.label,
            "verstreken": duur(state.elapsed),
            "resterend": duur(state.remaining) if state.remaining is not None else None,
            "log": mask(await asyncio.to_thread(job.log_tail, 60)),
        },
        headers={"Cache-Control": "no-store"},
    )


@routes.get("/modellen", name="modellen")
@requires(TRAINER)
async def models(request: web.Request) -> web.Response:
    ctx = console(request)

    def gather() -> dict[str, Any]:
        entries = ctx.registry.entries()
        return {
            "modellen": [(e, evaluation.latest(ctx.settings.models_dir, e.name)) for e in entries],
            "live": ctx.registry.live(),
            "vorige": ctx.registry.previous(),
            "geschiedenis": ctx.registry.history()[:30],
        }

    return await render(request, "staff/modellen.html", **await asyncio.to_thread(gather))


def _rows(new: dict[str, Any], old: dict[str, Any] | None, key: str) -> list[dict[str, Any]]:
    old_scores = (old or {}).get(key) or {}
    rows = []
    for label in sorted(set(new.get(key) or {}) | set(old_scores)):
        a, b = (new.get(key) or {}).get(label), old_scores.get(label)
        rows.append(
            {
                "label": label,
                "nieuw": a,
                "live": b,
                "verschil": (a["f1"] - b["f1"]) if a and b else None,
            }
        )
    return rows


@routes.get(f"/modellen/{MODEL}", name="model")
@requires(TRAINER)
async def model_page(request: web.Request) -> web.Response:
    ctx, name = console(request), request.match_info["naam"]

    def gather() -> dict[str, Any] | None:
        entry = ctx.registry.get(name)
        if entry is None:
            return None
        live = ctx.registry.live()
        scored = evaluation.latest(ctx.settings.models_dir, name)
        live_scored = (
            evaluation.load(ctx.settings.models_dir, live.name, scored["heldout"])
            if live and scored and live.name != name
            else None
        )
        return {
            "model": entry,
            "live": live,
            "eval": scored,
            "live_eval": live_scored,
            "oordeel": judge(ctx.settings.models_dir, entry, live, ctx.config.promotion_tolerance),
            "intenties": _rows(scored, live_scored, "intents") if scored else [],
            "faq": _rows(scored, live_scored, "faq") if scored else [],
        }

    found = await asyncio.to_thread(gather)
    if found is None:
        raise web.HTTPNotFound()
    errors = [{**e, "tekst": mask(e["tekst"])} for e in (found["eval"] or {}).get("errors", [])]
    return await render(
        request,
        "staff/model.html",
        **found,
        fouten=errors[:150],
        beheerder=has_role(current_user(request), BEHEERDER),
        tolerantie=ctx.config.promotion_tolerance,
    )


@routes.get(f"/modellen/{MODEL}/verwarring.png", name="model_verwarring")
@requires(TRAINER)
async def confusion(request: web.Request) -> web.StreamResponse:
    ctx, name = console(request), request.match_info["naam"]
    heldout = request.query.get("split", "")
    scored = (
        evaluation.load(ctx.settings.models_dir, name, heldout)
        if heldout.isalnum()
        else evaluation.latest(ctx.settings.models_dir, name)
    )
    if scored is None:
        raise web.HTTPNotFound()
    path = evaluation.directory(ctx.settings.models_dir, name, scored["heldout"])
    image = path / evaluation.CONFUSION_PNG
    if not image.exists():
        raise web.HTTPNotFound()
    return web.FileResponse(image, headers={"Content-Type": "image/png"})


@routes.post(f"/modellen/{MODEL}/evalueren", name="model_evalueren")
@requires(TRAINER)
async def evaluate(request: web.Request) -> web.StreamResponse:
    ctx, name = console(request), request.match_info["naam"]
    if await asyncio.to_thread(ctx.registry.get, name) is None:
        raise web.HTTPNotFound()
    try:
        job = await console(request).runner.start(
            EVALUATE, current_user(request).gebruikersnaam, name
        )
    except Busy as exc:
        await flash(request, str(exc), "fout")
        raise redirect(request, "model", naam=name) from None
    raise redirect(request, "taak", id=job.id)


@routes.post(f"/modellen/{MODEL}/promoveren", name="model_promoveren")
@requires(TRAINER)
async def promote_model(request: web.Request) -> web.StreamResponse:
    ctx, user, name = console(request), current_user(request), request.match_info["naam"]
    form = await request.post()
    overrule = form.get("overrulen") == "ja"
    reden = str(form.get("reden", "")).strip()[:500]
    if overrule and not has_role(user, BEHEERDER):
        raise web.HTTPForbidden()
    if overrule and not reden:
        await flash(request, "Geef een reden om de scores te overrulen.", "fout")
        raise redirect(request, "model", naam=name)
    try:
        entry, verdict = await asyncio.to_thread(
            promote,
            ctx.registry,
            name,
            user.gebruikersnaam,
            tolerance=ctx.config.promotion_tolerance,
            overrule=overrule,
            reden=reden or None,
        )
    except PromotionRefused as exc:
        await flash(request, f"Niet gepromoveerd. {exc.verdict.reason}", "fout")
        raise redirect(request, "model", naam=name) from None
    except RegistryError as exc:
        await flash(request, str(exc), "fout")
        raise redirect(request, "model", naam=name) from None
    overruled = not verdict.allowed
    await audit.record(
        ctx.store.sessions,
        user.gebruikersnaam,
        "promotie_overruled" if overruled else "promotie",
        entry.name,
        reden=reden or None,
        **verdict.scores(),
    )
    note = " (scores overruled door een beheerder)" if overruled else ""
    await flash(
        request,
        f"Model {entry.name} is nu live{note}. Alle Rasa-servers laden het binnen "
        f"{ctx.config.model_pull_seconds} seconden, zonder herstart.",
    )
    raise redirect(request, "modellen")


@routes.post("/modellen/terugdraaien", name="terugdraaien")
@requires(TRAINER)
async def rollback(request: web.Request) -> web.StreamResponse:
    ctx, user = console(request), current_user(request)
    try:
        entry = await asyncio.to_thread(ctx.registry.rollback, door=user.gebruikersnaam)
    except RegistryError as exc:
        await flash(request, str(exc), "fout")
        raise redirect(request, "modellen") from None
    await audit.record(ctx.store.sessions, user.gebruikersnaam, "terugdraaien", entry.name)
    await flash(
        request,
        f"Teruggedraaid: model {entry.name} is weer live. De Rasa-servers laden het binnen "
        f"{ctx.config.model_pull_seconds} seconden.",
    )
    raise redirect(request, "modellen")
