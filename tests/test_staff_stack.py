"""The staff console against the real stack: retraining without a developer, end to end.

A trainer relabels a message from the NLU inbox, trains, reads the evaluation and
promotes; the running Rasa server picks the model up from the web app (its model
server) while requests keep succeeding. A worse model is refused, a beheerder may
overrule that, and a rollback returns to the previous model. A medewerker changes a
case's status and the resident's conversation receives the message.

The stack starts with a deliberately weak model (WEAK_CONFIG, trained once per data
fingerprint and cached); the candidate uses a reduced pipeline (FAST_CONFIG).
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import re
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from core.settings import Settings
from tests.client import events, full_intent, parse, say
from tests.conftest import CACHE, RunningStack, make_settings
from tests.staff_helpers import FAST_CONFIG, WEAK_CONFIG, Client, start_stack
from webapp.staff import training
from webapp.staff.heldout import split, staff_held_out

pytestmark = [pytest.mark.stack, pytest.mark.asyncio(loop_scope="session")]

# Unusual enough that the weak model is unsure; the label a trainer would give it.
QUESTION = "mag er een tiny house in mijn achtertuin staan"
LABEL = "faq/omgevingsvergunning"
# Examples a trainer adds for a word Balie's own data lacks. The hash split holds
# "prieel" and "een prieel in de tuin zetten" out of every training (webapp/staff/
# heldout.py): the candidate learns the word from the others, the live model never saw it.
PRIEEL = [
    "prieel",
    "prieel bouwen",
    "mag ik een prieel bouwen",
    "een prieel in de tuin zetten",
    "prieel plaatsen",
    "heb ik een vergunning nodig voor een prieel",
    "prieel in mijn achtertuin",
]
JOB_TIMEOUT = 600


def weak_model() -> Path:
    """The weak starting model, trained on the same 80% split the evaluation holds out."""
    key = hashlib.sha256((training.fingerprint() + WEAK_CONFIG).encode()).hexdigest()[:12]
    out = CACHE / f"staff-weak-{key}"
    out.mkdir(parents=True, exist_ok=True)
    model = out / "model.tar.gz"
    with open(out / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not model.exists():
            config = out / "config.yml"
            config.write_text(WEAK_CONFIG)
            held = split(out / "split", out / "no-staff-data.yml")
            data = [held.train_file, *training.dialogue_files()]
            asyncio.run(
                training.train(out, "model", data=data, config=config, log_file=out / "train.log")
            )
    return model


def start_staff_stack(tmp: Path, users: dict[str, list[str]]) -> tuple[RunningStack, Settings]:
    """The stack on the weak model, candidates trained with FAST_CONFIG, staff data in
    tmp, and these users (name -> roles) with PASSWORD."""
    settings = make_settings(tmp)
    fast = tmp / "fast.yml"
    fast.write_text(FAST_CONFIG)
    env = {
        "BALIE_DATABASE_URL": "",
        "BALIE_MODEL_PULL_SECONDS": "2",
        "BALIE_STAFF_DATA": str(tmp / "staff.yml"),
        "BALIE_TRAIN_CONFIG": str(fast),
    }
    running = start_stack(settings, weak_model(), env, users)
    return running, settings


@pytest.fixture(scope="module")
def staff_stack(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("staff")
    users = {"tanja": ["trainer"], "bert": ["beheerder"], "mila": ["medewerker"]}
    running, settings = start_staff_stack(tmp, users)
    yield settings, tmp
    running.stop()


async def rasa_model(http: aiohttp.ClientSession, settings: Settings) -> str:
    async with http.get(f"{settings.rasa_url}/status", headers=settings.rasa_auth()) as resp:
        return (await resp.json())["model_file"]


async def wait_for_model(http: aiohttp.ClientSession, settings: Settings, name: str) -> float:
    """Until every Rasa pull has brought `name` in; returns the seconds it took."""
    started = time.monotonic()
    while await rasa_model(http, settings) != f"{name}.tar.gz":
        assert time.monotonic() - started < 90, f"Rasa did not load {name}"
        await asyncio.sleep(0.5)
    return time.monotonic() - started


class ParseStream:
    """A steady stream of /model/parse requests, recording every status."""

    def __init__(self, http: aiohttp.ClientSession, settings: Settings) -> None:
        self.http, self.settings = http, settings
        self.statuses: list[int] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                async with self.http.post(
                    f"{self.settings.rasa_url}/model/parse",
                    json={"text": "wanneer is het gemeentehuis open"},
                    headers=self.settings.rasa_auth(),
                ) as resp:
                    await resp.read()
                    self.statuses.append(resp.status)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                self.statuses.append(0)
            await asyncio.sleep(0.05)

    def start(self) -> None:
        self._tasks = [asyncio.ensure_future(self._run()) for _ in range(2)]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)


def flash(html: str) -> str:
    return " ".join(re.findall(r'class="melding[^"]*"[^>]*>(.*?)</p>', html, re.S))


async def run_job(client: Client, location: str) -> list[str]:
    """Follow a job's status until it ends; returns the stages it went through."""
    labels: list[str] = []
    started = time.monotonic()
    while True:
        async with client.http.get(f"{client.base}{location}/status") as resp:
            assert resp.status == 200
            state = await resp.json()
        if not labels or labels[-1] != state["label"]:
            labels.append(state["label"])
        if state["status"] != "bezig":
            assert state["status"] == "klaar", f"job failed: {await client.get(location)}"
            return labels
        assert time.monotonic() - started < JOB_TIMEOUT
        await asyncio.sleep(1)


async def test_trainer_relabels_trains_promotes_and_rolls_back(
    staff_stack: tuple[Settings, Path], http: aiohttp.ClientSession
) -> None:
    settings, tmp = staff_stack
    weak = (await rasa_model(http, settings)).removesuffix(".tar.gz")
    resident = f"inwoner-{uuid.uuid4().hex[:8]}"
    await say(http, settings, resident, "mijn e-mailadres is jan.jansen@example.com")
    await say(http, settings, resident, QUESTION)

    trainer = Client(settings.web_url)
    try:
        assert (await trainer.login("tanja"))[0] == 200
        # The conversation, with the intent of every message and personal data masked.
        status, page = await trainer.get("/staff/gesprekken")
        link = re.findall(r'href="(/staff/gesprekken/\d+)"', page)[0]
        status, page = await trainer.get(link)
        assert "[e-mailadres]" in page and "jan.jansen" not in page
        assert "zekerheid" in page

        # The inbox holds the question; the trainer labels it.
        status, page = await trainer.get("/staff/inbox")
        item = re.search(rf'<h2 class="bericht" id="bericht-(\d+)">{QUESTION}</h2>', page)
        assert item, "the unsure question is not in the inbox"
        status, page = await trainer.post(
            f"/staff/inbox/{item[1]}", {"intent": LABEL, "actie": "opslaan"}
        )
        assert "Opgeslagen als voorbeeld" in flash(page)
        assert QUESTION in (tmp / "staff.yml").read_text()
        status, page = await trainer.get("/staff/inbox")
        assert f">{QUESTION}<" not in page
        for text in PRIEEL:
            status, page = await trainer.post(
                "/staff/voorbeelden", {"tekst": text, "intent": LABEL}
            )
            assert "Voorbeeld toegevoegd" in flash(page)
        held_out = [t for t in PRIEEL if staff_held_out(t)]
        assert held_out and QUESTION not in held_out

        # Train: a background job with a progress page.
        status, location = await trainer.post("/staff/training", {}, follow=False)
        assert status == 303 and location.startswith("/staff/training/")
        status, page = await trainer.get(location)
        assert "<progress" in page and 'src="/static/staff.js"' in page
        stages = await run_job(trainer, location)
        assert any(s.startswith("Trainen: onderdeel") for s in stages) and stages[-1] == "Klaar"
        assert any(s.startswith("Beoordelen") for s in stages)
        assert not any("Wachten" in s for s in stages)
        status, page = await trainer.get(location)
        candidate = re.search(r'href="/staff/modellen/(balie-[\d-]+)"', page)[1]

        # The evaluation, side by side with the live model, and its confusion matrix.
        status, page = await trainer.get(f"/staff/modellen/{candidate}")
        assert status == 200 and "scoort niet slechter" in page
        assert "Per intentie" in page and "Fout geclassificeerde testzinnen" in page
        assert '<table class="verwarring"' in page and "<img" not in page
        # The held-out staff examples: the candidate gets the new word, the live model not.
        gain = re.search(r"<strong>\+(\d+,\d) punt op uw nieuwe voorbeelden</strong>", page)
        assert gain and float(gain[1].replace(",", ".")) > 0, page[page.index("nieuw-kop") :][:2000]
        train_data = (tmp / "staff.yml").read_text()
        for text in held_out:
            assert f"<td>{text}</td>" in page
        job_id = location.rsplit("/", 1)[1]
        roots = (settings.data_dir / "staff" / "jobs", settings.models_dir / "jobs")
        job_dir = next(root / job_id for root in roots if (root / job_id).exists())
        trained = (job_dir / "staff_train_nlu.yml").read_text()
        assert all(f"- {t}\n" not in trained for t in held_out) and QUESTION in trained
        assert all(t in train_data for t in PRIEEL)
        # Promote while residents keep asking: not one request may fail.
        stream = ParseStream(http, settings)
        stream.start()
        await asyncio.sleep(1)
        status, page = await trainer.post(f"/staff/modellen/{candidate}/promoveren", {})
        assert f"Model {candidate} is nu live" in flash(page)
        await wait_for_model(http, settings, candidate)
        await asyncio.sleep(2)
        await stream.stop()
        assert stream.statuses and set(stream.statuses) == {200}, stream.statuses
        assert full_intent(await parse(http, settings, QUESTION)) == LABEL

        # The weak model scores worse: the trainer cannot bring it back ...
        status, page = await trainer.post(f"/staff/modellen/{weak}/promoveren", {})
        assert "Niet gepromoveerd" in flash(page) and "scoort slechter" in flash(page)
        assert await rasa_model(http, settings) == f"{candidate}.tar.gz"
        status, page = await trainer.post(
            f"/staff/modellen/{weak}/promoveren", {"overrulen": "ja", "reden": "test"}
        )
        assert status == 403
    finally:
        await trainer.close()

    # ... a beheerder can, and that is recorded.
    beheerder = Client(settings.web_url)
    try:
        await beheerder.login("bert")
        status, page = await beheerder.post(
            f"/staff/modellen/{weak}/promoveren",
            {"overrulen": "ja", "reden": "vergelijking voor de test"},
        )
        assert "scores overruled" in flash(page)
        status, page = await beheerder.get("/staff/modellen")
        assert "vergelijking voor de test" in page
        await wait_for_model(http, settings, weak)

        # Rollback returns to the model before it, the same way.
        status, page = await beheerder.post("/staff/modellen/terugdraaien", {})
        assert f"model {candidate} is weer live" in flash(page)
        await wait_for_model(http, settings, candidate)
        assert full_intent(await parse(http, settings, QUESTION)) == LABEL
    finally:
        await beheerder.close()


async def test_medewerker_status_change_reaches_the_residents_conversation(
    staff_stack: tuple[Settings, Path], http: aiohttp.ClientSession
) -> None:
    settings, _ = staff_stack
    resident = f"inwoner-{uuid.uuid4().hex[:8]}"
    await say(http, settings, resident, "hallo")
    token = (settings.data_dir / "api-token").read_text().strip()
    case = {
        "type": "melding",
        "categorie": "straatverlichting-openbare-klok",
        "omschrijving": "De lantaarnpaal bij de ingang van het park is kapot.",
        "locatie": {"straat": "Parkweg", "huisnummer": "1", "plaats": "Balie"},
        "kanaal": "rest",
        "melder": f"rest:{resident}",
    }
    async with http.post(
        f"{settings.web_url}/api/v1/cases", json=case, headers={"Authorization": f"Bearer {token}"}
    ) as resp:
        assert resp.status == 201, await resp.text()
        identificatie = (await resp.json())["identificatie"]

    medewerker = Client(settings.web_url)
    try:
        await medewerker.login("mila")
        _, page = await medewerker.get(f"/staff/zaken?zoek={identificatie}")
        assert identificatie in page
        _, page = await medewerker.get(f"/staff/zaken/{identificatie}")
        assert "Parkweg 1" in page and 'value="in_behandeling"' in page
        _, page = await medewerker.post(
            f"/staff/zaken/{identificatie}/status",
            {"status": "in_behandeling", "toelichting": "We gaan er deze week mee aan de slag."},
        )
        assert "De melder krijgt hiervan bericht" in flash(page)
        assert "mila" in page and "We gaan er deze week mee aan de slag." in page
    finally:
        await medewerker.close()

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        uttered = [
            e.get("metadata", {}).get("utter_action")
            for e in await events(http, settings, resident)
            if e["event"] == "bot"
        ]
        if "utter_status_bericht" in uttered:
            return
        await asyncio.sleep(0.5)
    pytest.fail(f"no status message in the conversation: {uttered}")
