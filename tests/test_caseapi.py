"""The Case API contract in core/caseapi/: one set of models for server and client, the
OpenAPI document generated from them, and the typed client against the real web app."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone

import pytest
import pytest_asyncio
from aiohttp import web
from pydantic import ValidationError

from actions.delivery import case_from_payload, case_payload
from core.caseapi import models as m
from core.caseapi.client import CaseApiClient
from core.caseapi.errors import BackendRejected, BackendUnavailable, PhotoRefused
from core.caseapi.openapi import document
from core.domain import STATUSES
from tests.action_server import ActionServer
from tests.action_server import running as running_action_server
from tests.images import jpeg_bytes
from tests.webapp import case_api, client
from webapp import api, receipts


def new_case(**changes: object) -> m.NewCase:
    case = m.NewCase(
        type="melding",
        omschrijving="De lantaarnpaal bij de school is kapot.",
        kanaal="telegram",
        controlecode="ab3d7k",
        idempotency_key=uuid.uuid4().hex,
        categorie="straatverlichting-openbare-klok",
        locatie=m.LocatieIn(straat="Schoolstraat", huisnummer="4b", postcode="3511ab"),
        tijdstip=datetime(2024, 11, 21, 22, 0, tzinfo=timezone.utc),
        melder="telegram:12345",
        contact=m.ContactIn(naam="Aisha", email="Aisha@Example.nl"),
    )
    return case.copy(update=changes)


# -- models ------------------------------------------------------------------------------


def test_a_new_case_is_normalised_once_and_survives_the_outbox() -> None:
    case = new_case()
    assert case.controlecode == "AB3D7K" and case.locatie is not None
    assert (case.locatie.huisnummer, case.locatie.postcode) == ("4B", "3511 AB")
    assert case.contact is not None and case.contact.email == "aisha@example.nl"
    # The outbox keeps it as JSON; a queued submission comes back the same.
    payload = json.loads(json.dumps(case_payload(case, ["upload-1"])))
    assert payload["fotos"] == ["upload-1"]
    assert case_from_payload(payload) == case


def test_the_wire_body_is_the_servers_case_in_without_the_key() -> None:
    case = new_case(contact=None, onderwerp=None)
    body = case.wire()
    assert "idempotency_key" not in body and "contact" not in body and "onderwerp" not in body
    assert m.CaseIn.parse_obj(body).dict() == {
        k: v for k, v in case.dict().items() if k != "idempotency_key"
    }


def test_what_the_api_refuses_the_model_refuses() -> None:
    with pytest.raises(ValidationError, match="needs a 'locatie'"):
        m.NewCase.parse_obj({**new_case().dict(), "locatie": None})
    with pytest.raises(ValidationError, match="must be text"):
        m.CallbackIn.parse_obj({"naam": True, "telefoon": "0612345678"})
    with pytest.raises(ValidationError):
        m.ReceiptIn.parse_obj(
            {"backend": "builtin", "type": "melding", "external_id": "1", "controlecode": "x"}
        )


def test_answers_are_sent_in_local_time_and_read_back_as_the_same_instant() -> None:
    made = datetime(2026, 11, 21, 22, 0, tzinfo=timezone.utc)
    status = m.CaseStatus(
        identificatie="M-2026-000042", type="melding", status="gemeld", aangemaakt_op=made
    )
    body = json.loads(status.body())
    assert body["aangemaakt_op"] == "2026-11-21T23:00:00+01:00"
    assert body["gewijzigd_op"] is None and body["toelichting"] is None
    assert m.CaseStatus.parse_obj(body).aangemaakt_op == made


def test_a_case_tells_its_latest_note_to_the_resident() -> None:
    op = datetime(2026, 3, 1, tzinfo=timezone.utc)
    case = m.Case(
        identificatie="V-2026-000001",
        type="verzoek",
        status="ingepland",
        categorie=None,
        onderwerp="Container",
        omschrijving="Graag een extra container.",
        locatie=m.Locatie(),
        kanaal="web",
        aangemaakt_op=op,
        gewijzigd_op=op + timedelta(days=1),
        statusgeschiedenis=[
            m.StatusChange(status="gemeld", toelichting=None, door="melder", op=op),
            m.StatusChange(status="ingepland", toelichting="Donderdag.", door="anna", op=op),
        ],
    )
    view = case.status_view()
    assert (view.status, view.toelichting, view.onderwerp) == (
        "ingepland",
        "Donderdag.",
        "Container",
    )


# -- the OpenAPI document ----------------------------------------------------------------


def _documented(path: str) -> str:
    """A route's path as the document names it: under /api/v1, without regexes."""
    return re.sub(r"\{(\w+):[^}]*\}", r"{\1}", path).removeprefix("/api/v1")


def test_the_document_lists_every_route_of_the_case_api() -> None:
    paths = document()["paths"]
    routes = [r for r in (*api.routes, *receipts.routes) if isinstance(r, web.RouteDef)]
    assert len(routes) > 15
    for route in routes:
        if route.path == "/api/v1/openapi.json":
            continue
        assert route.method.lower() in paths.get(_documented(route.path), {}), route
    operations = [op for item in paths.values() for op in item.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))


# The document itself; and the residents' feedback route (issue #16), not described yet:
# the fuzzer does not try it (tests/test_feedback.py tests its bodies by hand).
NOT_IN_THE_DOCUMENT = {"/api/v1/openapi.json", "/api/v1/feedback"}


def test_every_api_route_of_the_whole_app_is_in_the_document(tmp_path) -> None:
    """Routes that other modules add under /api/v1 (the live chat's POST /live) too: what
    is not in the document, the API fuzzer (tests/test_api_fuzz.py) never tries."""
    from webapp.app import create_app
    from webapp.settings import WebSettings

    settings = WebSettings(
        data_dir=tmp_path, models_dir=tmp_path / "models", configured_api_token="test"
    )
    paths = document()["paths"]
    found = 0
    for route in create_app(settings).router.routes():
        info = route.resource.canonical if route.resource else ""
        if not info.startswith("/api/v1/") or info in NOT_IN_THE_DOCUMENT:
            continue
        if route.method in ("HEAD", "OPTIONS"):
            continue
        found += 1
        assert route.method.lower() in paths.get(_documented(info), {}), (route.method, info)
    assert found > 15 and "post" in paths["/live"]


def test_the_document_schemas_are_the_models() -> None:
    schemas = document()["components"]["schemas"]
    for model in (m.CaseIn, m.ForgetIn, m.ReceiptIn, m.Case, m.Receipt, m.CaseStatus):
        assert model.__name__ in schemas
    assert schemas["Case"]["properties"]["status"]["enum"] == list(STATUSES)
    # What may be null in an answer says so, as OpenAPI 3.0 spells it.
    assert schemas["Case"]["properties"]["tijdstip"]["nullable"] is True
    assert schemas["Case"]["properties"]["contact"]["nullable"] is True
    assert "nullable" not in schemas["Case"]["properties"]["omschrijving"]
    created = document()["paths"]["/ontvangstbewijzen"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"]["$ref"].endswith("/Receipt")


# -- the client against the real web app -------------------------------------------------


@pytest.fixture(scope="module")
def action_server(tmp_path_factory) -> Iterator[ActionServer]:
    """Forgetting a resident asks the outbox's owner too: a real action server."""
    with running_action_server(tmp_path_factory.mktemp("actions")) as server:
        yield server


@pytest_asyncio.fixture
async def cases(db_url, tmp_path, action_server) -> AsyncIterator[CaseApiClient]:
    async with case_api(db_url, tmp_path, **action_server.web_settings()) as url:
        api_client = client(url)
        try:
            yield api_client
        finally:
            await api_client.close()


async def test_cases_through_the_client(cases: CaseApiClient) -> None:
    case = new_case()
    created = await cases.create_case(case)
    assert created.controlecode == "AB3D7K" and created.contact is not None
    assert (await cases.create_case(case)).identificatie == created.identificatie  # same key
    ident = created.identificatie
    seen = await cases.inzage(ident, controlecode="ab3d7k")
    assert seen is not None and seen.status == "gemeld"
    assert await cases.inzage(ident, controlecode="ZZZZZZ") is None
    assert await cases.inzage(ident, melder="telegram:12345") == seen
    page = await cases.list_cases(melder="telegram:12345", per_page=20)
    assert [c.identificatie for c in page.items] == [ident] and page.next_page is None
    assert page.items[0].contact is None  # a list shows no contact details
    photo = m.Attachment("lamp.jpg", "image/jpeg", jpeg_bytes())
    attached = await cases.add_attachment(ident, photo)
    assert attached is not None and attached.grootte == len(photo.data)
    assert await cases.add_attachment("M-2026-999999", photo) is None
    full = await cases.case(ident)
    assert full is not None and full.bijlagen == [attached]


async def test_what_channels_do_through_the_client(cases: CaseApiClient) -> None:
    staged = await cases.stage_upload(jpeg_bytes())
    fetched = await cases.upload(staged.upload_id)
    assert fetched is not None and fetched.data == jpeg_bytes()
    assert await cases.upload(str(uuid.uuid4())) is None
    with pytest.raises(PhotoRefused) as refused:
        await cases.stage_upload(b"not a photo", "image/jpeg")
    assert refused.value.status in (415, 422)
    callback = m.CallbackIn(naam="Aisha", telefoon="06 12345678", melder="telegram:7")
    made = await cases.create_callback(callback, "cb-1")
    assert made.telefoon == "+31612345678" and made.status == "open"
    assert (await cases.create_callback(callback, "cb-1")).id == made.id
    assert await cases.opt_out("telegram:7") is True
    assert await cases.opt_out("telegram:7") is False  # it already was
    assert await cases.opted_out("telegram:7")
    assert await cases.opt_in("telegram:7") is True
    assert await cases.opt_in("telegram:7") is False
    forgotten = await cases.forget("telegram", "7")
    assert forgotten.kanaal == "telegram" and forgotten.verwijderd["terugbelverzoeken"] == 1


async def test_receipts_through_the_client(cases: CaseApiClient) -> None:
    receipt = m.ReceiptIn(
        backend="zgw",
        type="melding",
        external_id="zaak-1",
        melder="web:s1",
        controlecode="ab3d7k",
        categorie="grofvuil",
    )
    made = await cases.record_receipt(receipt, "r-1")
    assert made.identificatie.startswith("M-") and made.backend == "zgw"
    assert await cases.record_receipt(receipt, "r-1") == made
    assert await cases.receipt_by_key("r-1") == made
    assert await cases.receipt_by_key("r-2") is None
    assert await cases.receipts_for("web:s1") == [made]
    assert await cases.receipts_for("web:s1", "signalen") == []
    assert await cases.receipt(made.identificatie) == made
    assert await cases.authorize_receipt(made.identificatie, controlecode="AB3D7K") == made
    assert await cases.authorize_receipt(made.identificatie, controlecode="ZZZZZZ") is None


async def test_errors_keep_their_http_meaning(cases: CaseApiClient) -> None:
    with pytest.raises(BackendRejected, match="invalid input") as refused:
        await cases.create_case(new_case(tijdstip=datetime.now(timezone.utc) + timedelta(days=2)))
    assert refused.value.status == 422 and not refused.value.retryable
    wrong_token = CaseApiClient(cases.url, "not-the-token")
    try:
        with pytest.raises(BackendRejected) as unauthorized:
            await wrong_token.list_cases()
        assert unauthorized.value.status == 401
    finally:
        await wrong_token.close()
    away = CaseApiClient("http://127.0.0.1:9/api/v1", "token", timeout=2)
    try:
        with pytest.raises(BackendUnavailable) as unavailable:
            await away.inzage("M-2026-000001", controlecode="AB3D7K")
        assert unavailable.value.retryable
    finally:
        await away.close()
