"""The case store on real SQLite and PostgreSQL databases."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from pydantic import ValidationError

from core.caseapi.models import CallbackIn, CaseIn
from core.domain import TransitionError, check_transition
from webapp.cases.store import CaseStore, Filters

MELDING = {
    "type": "melding",
    "omschrijving": "De lantaarnpaal bij de speeltuin brandt niet meer.",
    "categorie": "straatverlichting-openbare-klok",
    "locatie": {"straat": "Parklaan", "huisnummer": "12a", "postcode": "1234ab"},
    "kanaal": "web",
}


@pytest_asyncio.fixture
async def store(db_url):
    store = CaseStore.from_url(db_url)
    yield store
    await store.close()


async def test_identifiers_have_no_gaps_or_collisions_under_concurrency(store) -> None:
    year = datetime.now(timezone.utc).year
    results = await asyncio.gather(
        *(store.create(CaseIn(**MELDING)) for _ in range(40)),
        *(store.create(CaseIn(type="verzoek", omschrijving=f"verzoek {i}")) for i in range(15)),
    )
    ids = sorted(case.identificatie for case, _, _ in results)
    assert ids == sorted(
        [f"M-{year}-{n:06d}" for n in range(1, 41)] + [f"V-{year}-{n:06d}" for n in range(1, 16)]
    )


async def test_the_same_idempotency_key_makes_one_case(store) -> None:
    results = await asyncio.gather(
        *(store.create(CaseIn(**MELDING), idempotency_key="key-1") for _ in range(8))
    )
    assert len({case.identificatie for case, _, _ in results}) == 1
    assert sum(created for _, _, created in results) == 1
    assert next(code for _, code, created in results if created)
    _, total = await store.list(Filters())
    assert total == 1


async def test_values_are_normalised_and_history_starts_with_gemeld(store) -> None:
    case, code, created = await store.create(CaseIn(**MELDING), door="melder")
    assert created and len(code) == 6
    assert (case.postcode, case.huisnummer, case.status) == ("1234 AB", "12A", "gemeld")
    assert [(h.status, h.door) for h in case.history] == [("gemeld", "melder")]
    assert case.controlecode_hash != code  # only the hash is stored


async def test_status_changes_follow_the_lifecycle_and_are_recorded(store) -> None:
    case, _, _ = await store.create(CaseIn(**MELDING))
    ident = case.identificatie
    await store.change_status(ident, "in_behandeling", None, "anna")
    case = await store.change_status(ident, "ingepland", "Maandag komt de monteur.", "anna")
    assert [h.status for h in case.history] == ["gemeld", "in_behandeling", "ingepland"]
    assert case.history[-1].toelichting == "Maandag komt de monteur."
    await store.change_status(ident, "afgehandeld", "De lamp is vervangen.", "piet")
    with pytest.raises(TransitionError):
        await store.change_status(ident, "gemeld", None, "piet")
    assert await store.change_status("M-2026-999999", "afgehandeld", None, "x") is None


def test_transitions() -> None:
    check_transition("gemeld", "geannuleerd", None)
    check_transition("afgehandeld", "in_behandeling", "heropend")
    check_transition("ingepland", "ingepland", "nieuwe datum")  # a note without a change
    for current, new in [("geannuleerd", "gemeld"), ("afgehandeld", "ingepland"), ("gemeld", "x")]:
        with pytest.raises(TransitionError):
            check_transition(current, new, "note")
    with pytest.raises(TransitionError):
        check_transition("gemeld", "gemeld", None)


async def test_inzage_needs_the_code_or_the_reporter(store) -> None:
    case, code, _ = await store.create(CaseIn(**MELDING, melder="telegram:42"))
    ident = case.identificatie
    assert await store.inzage(ident, controlecode=code)
    assert await store.inzage(ident, controlecode=code.lower()[:3] + " " + code.lower()[3:])
    assert await store.inzage(ident, melder="telegram:42")
    assert await store.inzage(ident, melder="telegram:43") is None
    assert await store.inzage(ident, controlecode="AAAAAA") is None
    assert await store.inzage("M-2026-999999", controlecode=code) is None


async def test_wrong_codes_never_lock_a_case(store) -> None:
    """Guessers are throttled per guesser (tests/test_guessing.py): a per-case lock would
    let anyone lock every resident out of their own case, numbers being sequential."""
    case, code, _ = await store.create(CaseIn(**MELDING, melder="web:me"))
    ident = case.identificatie
    for _ in range(30):
        assert await store.inzage(ident, controlecode="AAAAAA") is None
        assert await store.inzage(ident, controlecode="hallo", melder="web:x") is None
    assert await store.inzage(ident, controlecode=code)
    assert await store.inzage(ident, melder="web:me")


async def test_status_changes_are_in_the_audit_log(store) -> None:
    from webapp.staff import audit

    case, _, _ = await store.create(CaseIn(**MELDING))
    ident = case.identificatie
    await store.change_status(ident, "in_behandeling", None, "anna")
    await store.change_status(ident, "afgehandeld", "De lamp is vervangen.", "piet")
    with pytest.raises(TransitionError):  # refused: nothing logged
        await store.change_status(ident, "gemeld", None, "kees")
    logged = await audit.recent(store.sessions, ("status_gewijzigd",))
    assert [(e.door, e.onderwerp, audit.details_of(e)) for e in logged] == [
        ("piet", ident, {"van": "in_behandeling", "naar": "afgehandeld"}),
        ("anna", ident, {"van": "gemeld", "naar": "in_behandeling"}),
    ]


async def test_attachments_are_stored_once(store, tmp_path) -> None:
    from tests.images import png_bytes

    case, _, _ = await store.create(CaseIn(**MELDING))
    first = await store.add_attachment(case.identificatie, "foto.png", "image/png", png_bytes())
    again = await store.add_attachment(case.identificatie, "foto.png", "image/png", png_bytes())
    assert first.id == again.id
    stored = await store.attachment(case.identificatie, first.id)
    assert stored.data == png_bytes()
    assert await store.add_attachment("M-2026-999999", "x.png", "image/png", b"x") is None


async def test_callbacks(store) -> None:
    data = CallbackIn(naam="Linda", telefoon="06 12345678", voorkeur="ochtend", kanaal="web")
    first, created = await store.create_callback(data, idempotency_key="cb-1")
    again, created_again = await store.create_callback(data, idempotency_key="cb-1")
    assert created and not created_again and first.id == again.id
    assert first.telefoon == "+31612345678"
    assert [c.id for c in await store.callbacks("open")] == [first.id]


async def test_filters_and_paging(store) -> None:
    for i in range(7):
        await store.create(CaseIn(**MELDING | {"kanaal": "telegram" if i % 2 else "web"}))
    await store.create(CaseIn(type="verzoek", omschrijving="Graag een extra bankje bij de vijver"))
    page, total = await store.list(Filters(type="melding", kanaal="web"), page=1, per_page=3)
    assert total == 4 and len(page) == 3
    assert all(c.kanaal == "web" for c in page)
    found, total = await store.list(Filters(zoek="BANKJE"))
    assert total == 1 and found[0].type == "verzoek"


async def test_moments_are_kept_as_instants_and_read_back_in_utc(store) -> None:
    """SQLite dropped the offset: 23:00+01:00 was read back as 23:00 UTC."""
    case, _, _ = await store.create(CaseIn(**MELDING | {"tijdstip": "2026-11-21T23:00:00+01:00"}))
    case = await store.get(case.identificatie)
    assert case.tijdstip == datetime(2026, 11, 21, 22, 0, tzinfo=timezone.utc)
    moments = [case.tijdstip, case.aangemaakt_op, case.gewijzigd_op, case.history[0].op]
    assert all(m.utcoffset() == timedelta(0) for m in moments)
    # Filters compare instants, whatever offset they are given in.
    amsterdam = ZoneInfo("Europe/Amsterdam")
    earlier = (case.aangemaakt_op - timedelta(minutes=30)).astimezone(amsterdam)
    assert (await store.list(Filters(since=earlier)))[1] == 1
    assert (await store.list(Filters(since=earlier + timedelta(hours=1))))[1] == 0


@pytest.mark.parametrize(
    "change",
    [
        {"categorie": "bestaat-niet"},
        {"categorie": None},
        {"locatie": None},
        {"locatie": {"postcode": "0123 AB"}},
        {"locatie": {"straat": "Parklaan", "lat": 52.1}},
        {"tijdstip": "2999-01-01T00:00:00+01:00"},
        {"tijdstip": "2026-01-01T00:00:00"},
        {"contact": {"email": "geen-email"}},
        {"contact": {"telefoon": "12"}},
        {"onbekend": "veld"},
        {"omschrijving": ""},
        {"controlecode": "0O0O0O"},
    ],
)
def test_bad_case_input_is_refused(change) -> None:
    with pytest.raises(ValidationError):
        CaseIn(**(MELDING | change))
