"""Helpers for the staff console tests: a real web app on a free port, logged-in clients."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from core import ROOT
from core.settings import Settings
from tests.conftest import RunningStack, settings_env
from tests.local_server import serving
from webapp.app import create_app
from webapp.cases.migrate import migrate
from webapp.cases.store import CaseStore
from webapp.settings import WebSettings
from webapp.staff import evaluation
from webapp.staff.users import Users

PASSWORD = "een-lang-wachtwoord-42"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


class Client:
    """A browser without JavaScript: cookies, forms with the page's CSRF token."""

    def __init__(self, base: str, address: str | None = None) -> None:
        self.base = base
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies from 127.0.0.1
            timeout=aiohttp.ClientTimeout(total=60),
            # Another client address, as a trusted proxy reports it (BALIE_TRUSTED_PROXIES).
            headers={"X-Forwarded-For": address} if address else None,
        )
        self.csrf = ""

    async def close(self) -> None:
        await self.http.close()

    async def get(self, path: str, **kw) -> tuple[int, str]:  # type: ignore[no-untyped-def]
        async with self.http.get(
            self.base + path, allow_redirects=kw.pop("follow", True), **kw
        ) as r:
            text = await r.text(errors="replace")
            if "text/html" in r.content_type and CSRF_RE.search(text):
                self.csrf = csrf_of(text)
            return r.status, text if r.status < 300 or r.status >= 400 else r.headers.get(
                "Location", ""
            )

    async def post(
        self, path: str, data: dict | list | None = None, csrf: bool = True, follow: bool = True
    ) -> tuple[int, str]:  # type: ignore[type-arg]
        form = list(data.items()) if isinstance(data, dict) else list(data or [])
        if csrf:
            if not self.csrf:
                await self.get("/staff/inloggen")
            form.append(("csrf", self.csrf))
        async with self.http.post(self.base + path, data=form, allow_redirects=follow) as r:
            text = await r.text(errors="replace")
            if "text/html" in r.content_type and CSRF_RE.search(text):
                self.csrf = csrf_of(text)
            return r.status, text if r.status < 300 or r.status >= 400 else r.headers.get(
                "Location", ""
            )

    async def login(self, username: str, password: str = PASSWORD) -> tuple[int, str]:
        await self.get("/staff/inloggen")
        return await self.post(
            "/staff/inloggen", {"gebruikersnaam": username, "wachtwoord": password}
        )


async def create_users(url: str, users: dict[str, list[str]]) -> None:
    store = CaseStore.from_url(url)
    try:
        for name, roles in users.items():
            await Users(store.sessions).create(name, PASSWORD, roles)
    finally:
        await store.close()


def start_stack(
    settings: Settings, model: Path, env: dict[str, str], users: dict[str, list[str]]
) -> RunningStack:
    """`python -m bot run` on `model`, ready, with these staff users (name -> roles, password
    PASSWORD) made through the CLI, as an operator makes them."""
    running = RunningStack(settings, model, env)
    running.wait_ready()
    try:
        for name, roles in users.items():
            subprocess.run(
                [
                    *(sys.executable, "-m", "bot", "create-user", name, "--password-stdin"),
                    *("--by", "test", *(f"--role={r}" for r in roles)),
                ],
                input=PASSWORD + "\n",
                text=True,
                cwd=ROOT,
                env={**settings_env(settings), **env},
                check=True,
                capture_output=True,
            )
    except BaseException:
        running.stop()  # a user the CLI refused: no stack left running behind the error
        raise
    return running


@asynccontextmanager
async def web_app(settings: WebSettings, port: int) -> AsyncIterator[str]:
    """The whole web app (as `python -m bot web` serves it) on 127.0.0.1:port."""
    migrate(settings.database_url)
    async with serving(create_app(settings), port):
        yield f"http://127.0.0.1:{port}"


def settings_in(tmp: Path, port: int, **fields: Any) -> WebSettings:
    """The web app's settings for these tests: directories under tmp, `fields` as given."""
    return WebSettings(
        **{
            "host": "127.0.0.1",
            "rasa_port": 1,  # no Rasa in these tests
            "action_port": 1,
            "web_port": port,
            "models_dir": tmp / "models",
            "data_dir": tmp / "data",
            **fields,
        }
    )


_CONFIG = """\
recipe: default.v1
language: nl
assistant_id: balie
pipeline:
{features}  - name: rasa_plugins.nlu.classifier.LinearSvmClassifier
  - name: rasa_plugins.nlu.entities.DutchEntityExtractor
  - name: rasa_plugins.nlu.register.AanspreekvormDetector
  - name: rasa_plugins.nlu.classifier.LinearSvmClassifier
    retrieval_intent: faq
    topic_threshold: 0.3
  - name: FallbackClassifier
    threshold: {fallback}
    ambiguity_threshold: 0.0
policies:
  - name: MemoizationPolicy
  - name: RulePolicy
    core_fallback_threshold: 0.3
    core_fallback_action_name: utter_vraag_herformuleren
    enable_fallback_prediction: true
"""
# A reduced pipeline for the test's candidate models: the same classifier, fewer
# featurizers and no CRF, so a training takes about a minute on two cores.
FAST_CONFIG = _CONFIG.format(
    fallback=0.3,
    features="""\
  - name: rasa_plugins.nlu.tokenizer.DutchSpacyTokenizer
  - name: CountVectorsFeaturizer
    min_ngram: 1
    max_ngram: 2
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
""",
)
# A deliberately weak pipeline (word counts only, unsure below 0.6): the starting model
# of the end-to-end test, so the candidate is clearly better and it is clearly worse.
WEAK_CONFIG = _CONFIG.format(
    fallback=0.6,
    features="""\
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
""",
)


def fake_model(models: Path, name: str) -> Path:
    models.mkdir(parents=True, exist_ok=True)
    path = models / f"{name}.tar.gz"
    path.write_bytes(name.encode() * 100)
    return path


def fake_evaluation(models: Path, name: str, macro_f1: float) -> None:
    out = evaluation.directory(models, name, "split1")
    out.mkdir(parents=True, exist_ok=True)
    scores = {"precision": macro_f1, "recall": macro_f1, "f1": macro_f1, "support": 10}
    summary = {
        "heldout": "split1",
        "accuracy": macro_f1,
        "macro_f1": macro_f1,
        "weighted_f1": macro_f1,
        "support": 20,
        "intents": {"groeten": scores, "melding_doen": scores},
        "faq_macro_f1": None,
        "faq": {},
        "full_accuracy": macro_f1,
        "confusion": {
            "groeten": {"groeten": 9, "hulp": 1},
            "faq/pgb": {"faq/pgb": 8, "faq/wmo_zorgloket": 2},
        },
        "errors": [{"tekst": "hoi", "verwacht": "groeten", "voorspeld": "hulp", "zekerheid": 0.4}],
    }
    (out / "summary.json").write_text(json.dumps(summary))


def fake_staff_evaluation(models: Path, name: str, right: list[bool]) -> None:
    """A score on held-out staff examples: right[i] says whether example i was right."""
    out = evaluation.staff_directory(models, name, "staff1")
    out.mkdir(parents=True, exist_ok=True)
    predictions = [
        {
            "tekst": f"een prieel bouwen, mail naar piet{i}@example.org",
            "verwacht": "faq/omgevingsvergunning",
            "voorspeld": "faq/omgevingsvergunning" if ok else "melding_doen",
            "zekerheid": 0.5,
        }
        for i, ok in enumerate(right)
    ]
    summary = {
        "model": name,
        "staff": "staff1",
        "support": len(right),
        "correct": sum(right),
        "accuracy": round(sum(right) / len(right), 4),
        "predictions": predictions,
    }
    (out / "summary.json").write_text(json.dumps(summary))
