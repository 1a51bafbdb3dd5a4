"""Trainers: training jobs with progress, models with their evaluation, promotion, rollback."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from core import labels
from core.privacy.masking import mask
from webapp.staff import audit, evaluation
from webapp.staff.console.context import console
from webapp.staff.console.render import duur, flash, redirect, render
from webapp.staff.console.security import current_user, requires
from webapp.staff.jobs import DONE, EVALUATE, RUNNING, TRAIN, Busy, JobState
from webapp.staff.progress import PHASE_NAMES, PHASES
from webapp.staff.promotion import PromotionRefused, judge, promote
from webapp.staff.registry import RegistryError
from webapp.staff.users import BEHEERDER, TRAINER, has_role

routes = web.RouteTableDef()
# What happened to the live model (registry.py's history), as staff say it.
ACTIONS = {"start": "eerste model", "promoveren": "live gezet", "terugdraaien": "teruggedraaid"}
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


def minutes(seconds: float) -> str:
    """'ongeveer 6 minuten': an estimate, rounded to whole minutes."""
    count = max(1, round(seconds / 60))
    return f"ongeveer {count} {'minuut' if count == 1 else 'minuten'}"


def progress(state: JobState) -> dict[str, Any]:
    """What the progress page and its status poll show of a job, in Dutch."""
    kind = "training" if state.soort == TRAIN else "evaluatie"
    phases = PHASES if state.soort == TRAIN else ("voorbereiden", "beoordelen")
    current = phases.index(state.stage) if state.stage in phases else len(phases)
    if state.status == RUNNING:
        stand = f"{state.label}. Verstreken: {duur(state.elapsed)}."
        if state.verwacht:
            stand += f" Een {kind} duurt meestal {minutes(state.verwacht)}"
            left = state.remaining or 0.0
            stand += f"; nog {minutes(left)}." if left >= 30 else "; bijna klaar."
        else:
            stand += " Hoe lang het duurt, is bekend na de eerste keer."
    elif state.status == DONE:
        stand = f"Klaar na {duur(state.elapsed)}."
    else:
        stand = f"Mislukt na {duur(state.elapsed)}."

    def phase(i: int) -> str:
        if i != current:
            return "gedaan" if i < current else "nog niet"
        return "bezig" if state.status == RUNNING else "mislukt"

    return {
        "fasen": [{"naam": PHASE_NAMES[p], "stand": phase(i)} for i, p in enumerate(phases)],
        "stand": stand,
    }


@routes.get("/training/{id}", name="taak")
@requires(TRAINER)
async def job_page(request: web.Request) -> web.Response:
    job = _job(request)
    state = await asyncio.to_thread(job.state)
    return await render(
        request,
        "staff/taak.html",
        taak=state,
        voortgang=progress(state),
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
            **progress(state),
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

    return await render(
        request, "staff/modellen.html", acties=ACTIONS, **await asyncio.to_thread(gather)
    )


def dutch(name: str) -> str:
    """An intent's or FAQ topic's name as staff read it everywhere (core/labels.py)."""
    return labels.naam(name)


# A cell's colour is one of HEAT_LEVELS steps of its share of the row (staff.css).
HEAT_LEVELS = (0.0, 0.1, 0.25, 0.5, 0.75)


def heatmap(matrix: dict[str, dict[str, int]]) -> dict[str, Any]:
    """The confusion of full intents as table rows: for every right answer (row) how often
    each answer (column) was predicted, with the cell's share of the row and its level."""
    rows = sorted(matrix)
    columns = sorted(set(rows) | {p for row in matrix.values() for p in row})
    found = []
    for name in rows:
        total = sum(matrix[name].values())
        cells = []
        for column in columns:
            count = matrix[name].get(column, 0)
            share = count / total if total else 0.0
            level = sum(share > step for step in HEAT_LEVELS) if count else 0
            cells.append(
                {"aantal": count, "aandeel": share, "niveau": level, "goed": column == name}
            )
        right = matrix[name].get(name, 0)
        found.append(
            {"naam": name, "label": dutch(name), "totaal": total, "goed": right, "cellen": cells}
        )
    return {"kolommen": [(c, dutch(c)) for c in columns], "rijen": found}


def _staff_rows(new: dict[str, Any], old: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The held-out staff examples with both models' answers, masked."""
    live = {p["tekst"]: p["voorspeld"] for p in (old or {}).get("predictions", [])}
    return [
        {
            "tekst": mask(p["tekst"]),
            "verwacht": p["verwacht"],
            "nieuw": p["voorspeld"],
            "live": live.get(p["tekst"]),
        }
        for p in new.get("predictions", [])
    ]


def _rows(new: dict[str, Any], old: dict[str, Any] | None, key: str) -> list[dict[str, Any]]:
    old_scores = (old or {}).get(key) or {}
    rows = []
    # In the order of the names staff read.
    for label in sorted(set(new.get(key) or {}) | set(old_scores), key=labels.naam):
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
        models_dir = ctx.settings.models_dir
        scored = evaluation.latest(models_dir, name)
        compare = live is not None and live.name != name
        live_scored = (
            evaluation.load(models_dir, live.name, scored["heldout"])
            if live and scored and compare
            else None
        )
        staff = evaluation.latest_staff(models_dir, name)
        live_staff = (
            evaluation.load_staff(models_dir, live.name, staff["staff"])
            if live and staff and compare
            else None
        )
        return {
            "staff_eval": staff,
            "live_staff_eval": live_staff,
            "winst": evaluation.staff_gain(staff, live_staff),
            "staff_rijen": _staff_rows(staff, live_staff) if staff else [],
            "matrix": heatmap(scored.get("confusion") or {}) if scored else None,
            "live_matrix": heatmap(live_scored.get("confusion") or {}) if live_scored else None,
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
        label=dutch,
        beheerder=has_role(current_user(request), BEHEERDER),
        tolerantie=ctx.config.promotion_tolerance,
    )


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
