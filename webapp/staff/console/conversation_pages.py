"""Trainers: conversations, the NLU inbox, and examples and answers added directly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from core import labels
from webapp.inputs import row_id, whole_number
from webapp.staff import audit
from webapp.staff.console.context import console
from webapp.staff.console.render import channel_name, flash, redirect, render, tijd
from webapp.staff.console.security import current_user, requires, url_for
from webapp.staff.inbox import CONFIRMED, CORRECTED, DISCARDED, Inbox
from webapp.staff.similarity import Lookalike
from webapp.staff.tracker import Turn, shorten
from webapp.staff.trainingdata import DataError
from webapp.staff.users import TRAINER

routes = web.RouteTableDef()
PER_PAGE = 25


def conversation_name(started: float, channel: str | None, first_message: str) -> str:
    """'6-12-2026 14:51, Telegram: "mijn lantaarnpaal is kapot"' (the message masked)."""
    name = f"{tijd(started)}, {channel_name(channel)}"
    return f"{name}: “{first_message}”" if first_message else f"{name}, zonder getypt bericht"


def _turns_name(turns: list[Turn]) -> str:
    residents = [t for t in turns if t.who == "inwoner"]
    typed = shorten(next((t.text for t in residents if t.kind == "bericht"), ""))
    channel = residents[0].channel if residents else None
    return conversation_name(turns[0].timestamp if turns else 0.0, channel, typed)


async def _ask_first(
    request: web.Request, found: Lookalike, action: str, fields: dict[str, str], back: str
) -> web.Response:
    """Not saved yet: the nearest examples, and a choice between both intents (a plain
    form: `fields` again, with bevestigd=ja and the intent of the button pressed).
    Texts as they are (or would be) in the training data: personal data is refused or
    replaced by stand-ins before anything gets there."""
    return await render(
        request,
        "staff/lijkt_op.html",
        tekst=found.text,
        gekozen=found.chosen,
        ander=found.other,
        naaste=[
            {"tekst": n.text, "intent": n.intent, "gelijkenis": n.similarity} for n in found.nearest
        ],
        actie=action,
        velden=sorted(fields.items()),
        terug=back,
    )


def _confirmed(form: Mapping[str, Any]) -> bool:
    return form.get("bevestigd") == "ja"


def named(intent: str | None) -> str:
    """An intent in a message to staff: its Dutch name, the technical one after it."""
    return f"“{labels.naam(intent)}” ({intent})" if intent else "–"


def _inbox(request: web.Request) -> Inbox:
    ctx = console(request)
    return Inbox(
        ctx.tracker, ctx.store.sessions, ctx.config.inbox_threshold, ctx.config.inbox_sample
    )


@routes.get("/gesprekken", name="gesprekken")
@requires(TRAINER)
async def conversations(request: web.Request) -> web.Response:
    page = whole_number(request.query.get("pagina"), 1, 99_999) or 1
    found, total = await console(request).tracker.conversations(page, PER_PAGE)
    return await render(
        request,
        "staff/gesprekken.html",
        gespreksnaam=lambda g: conversation_name(g.started, g.channel, g.first_message),
        kanaal=channel_name,
        gesprekken=found,
        totaal=total,
        pagina=page,
        paginas=max(1, -(-total // PER_PAGE)),
    )


@routes.get("/gesprekken/{id:\\d+}", name="gesprek")
@requires(TRAINER)
async def conversation(request: web.Request) -> web.Response:
    turns = await console(request).tracker.conversation(row_id(request))
    if turns is None:
        raise web.HTTPNotFound()
    return await render(
        request,
        "staff/gesprek.html",
        nummer=request.match_info["id"],
        naam=_turns_name(turns),
        beurten=[(turn, turn.text) for turn in turns],  # masked by the reader
        drempel=console(request).config.inbox_threshold,
    )


@routes.get("/inbox", name="inbox")
@requires(TRAINER)
async def inbox(request: web.Request) -> web.Response:
    ctx = console(request)
    return await render(
        request,
        "staff/inbox.html",
        items=await _inbox(request).items(),
        keuzes=await ctx.staff_data.choices(),
        drempel=ctx.config.inbox_threshold,
    )


@routes.post("/inbox/{id:\\d+}", name="inbox_besluit")
@requires(TRAINER)
async def decide(request: web.Request) -> web.StreamResponse:
    ctx, user, box = console(request), current_user(request), _inbox(request)
    message = await ctx.tracker.user_message(row_id(request))
    if message is None:
        raise web.HTTPNotFound()
    form = await request.post()
    if form.get("actie") == "verwerpen":
        await box.record(message, DISCARDED, None, user.gebruikersnaam)
        await flash(request, "Het bericht is verworpen.")
        raise redirect(request, "inbox")
    intent = str(form.get("intent", ""))
    if not intent:
        await flash(request, "Kies eerst een intentie, dan kunt u het bericht opslaan.", "fout")
        raise redirect(request, "inbox")
    try:
        # The resident's own words, with personal data replaced by neutral stand-ins.
        added = await ctx.staff_data.add_example(
            message.text, intent, mask=True, confirmed=_confirmed(form)
        )
    except DataError as exc:
        await flash(request, str(exc), "fout")
        raise redirect(request, "inbox") from None
    if added.lookalike is not None:
        return await _ask_first(
            request,
            added.lookalike,
            str(url_for(request, "inbox_besluit", id=message.id)),
            {"actie": "opslaan"},
            f"{url_for(request, 'inbox')}#bericht-{message.id}",
        )
    if added.status == "conflict":
        await flash(
            request,
            f"Deze tekst staat al als voorbeeld onder {named(added.existing_intent)}. Kies die "
            "intentie of verwerp het bericht.",
            "fout",
        )
        raise redirect(request, "inbox")
    besluit = CONFIRMED if intent == message.predicted else CORRECTED
    await box.record(message, besluit, intent, user.gebruikersnaam)
    if added.status == "bestaat_al":
        await flash(
            request, f"Dit voorbeeld stond al onder {named(intent)}; het bericht is afgehandeld."
        )
    else:
        await flash(request, f"Opgeslagen als voorbeeld voor {named(intent)}: “{added.text}”.")
    raise redirect(request, "inbox")


@routes.get("/voorbeelden", name="voorbeelden")
@requires(TRAINER)
async def examples(request: web.Request) -> web.Response:
    return await _examples_page(request)


async def _examples_page(
    request: web.Request, status: int = 200, fout: str | None = None, invoer: dict | None = None
) -> web.Response:
    """The examples page, with the form as it was sent when it was refused."""
    ctx = console(request)
    return await render(
        request,
        "staff/voorbeelden.html",
        status=status,
        data=await ctx.staff_data.data(),
        keuzes=await ctx.staff_data.choices(),
        bestand=ctx.config.data_file.name,
        fout=fout,
        invoer=invoer or {},
    )


@routes.post("/voorbeelden", name="voorbeeld_toevoegen")
@requires(TRAINER)
async def add_example(request: web.Request) -> web.StreamResponse:
    ctx = console(request)
    form = await request.post()
    text, intent = str(form.get("tekst", "")), str(form.get("intent", ""))
    if not intent:
        return await _examples_page(
            request, 400, "Kies een intentie voor het voorbeeld.", {"tekst": text}
        )
    try:
        added = await ctx.staff_data.add_example(text, intent, confirmed=_confirmed(form))
    except DataError as exc:
        return await _examples_page(request, 400, str(exc), {"tekst": text, "intent": intent})
    if added.lookalike is not None:
        return await _ask_first(
            request,
            added.lookalike,
            str(url_for(request, "voorbeeld_toevoegen")),
            {"tekst": text},
            str(url_for(request, "voorbeelden")),
        )
    if added.status == "conflict":
        return await _examples_page(
            request,
            400,
            f"Dit voorbeeld staat al onder {named(added.existing_intent)}.",
            {"tekst": text, "intent": intent},
        )
    if added.status == "bestaat_al":
        await flash(request, f"Dit voorbeeld stond al onder {named(intent)}.")
    else:
        await flash(request, f"Voorbeeld toegevoegd aan {named(intent)}.")
    raise redirect(request, "voorbeelden")


@routes.post("/voorbeelden/faq", name="faq_toevoegen")
@requires(TRAINER)
async def add_faq(request: web.Request) -> web.StreamResponse:
    ctx = console(request)
    form = await request.post()
    key, answer = str(form.get("sleutel", "")), str(form.get("antwoord", ""))
    questions = str(form.get("vragen", "")).splitlines()
    try:
        await ctx.staff_data.add_faq(key, answer, questions)
    except DataError as exc:
        return await _examples_page(
            request,
            400,
            str(exc),
            {"sleutel": key, "antwoord": answer, "vragen": "\n".join(questions)},
        )
    await audit.record(
        ctx.store.sessions,
        current_user(request).gebruikersnaam,
        "faq_toegevoegd",
        f"faq/{key.strip().lower()}",
    )
    await flash(
        request,
        f"Het antwoord voor {named('faq/' + key.strip().lower())} is opgeslagen. Het wordt "
        "actief na "
        "training en promotie van een nieuw model.",
    )
    raise redirect(request, "voorbeelden")


@routes.post("/voorbeelden/verwijderen", name="voorbeeld_verwijderen")
@requires(TRAINER)
async def remove_example(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    removed = await console(request).staff_data.remove_example(
        str(form.get("intent", "")), str(form.get("tekst", ""))
    )
    await flash(
        request, "Voorbeeld verwijderd." if removed else "Dat voorbeeld bestond niet (meer)."
    )
    raise redirect(request, "voorbeelden")
