"""The staff additions file (`nlu_data/nlu/staff.yml`) and what it is checked against.

Confirmed inbox messages, examples and FAQ answers added in the console go into one
Rasa YAML file: `nlu:` examples and `responses:` (`utter_faq/<key>` for new FAQ
topics). Rasa merges responses from training data into the domain, so domain.yml
itself is never edited by the console and stays valid.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core.privacy import masking
from webapp.staff import training
from webapp.staff.config import DEFAULT_STAFF_DATA
from webapp.staff.similarity import ExampleSpace, Lookalike

HEADER = """\
version: "3.1"

# Training data added by staff in the console (/staff): confirmed and corrected
# messages from the NLU inbox, examples and new FAQ answers. The console writes this
# file; personal data is masked before anything is written here.
"""
MAX_TEXT = 300
FAQ_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_MARKUP = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


class DataError(ValueError):
    """Why an example or answer cannot be added (Dutch, for staff)."""


def normalise(text: str) -> str:
    """What counts as "the same example": case, punctuation and spacing ignored."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def clean_text(text: str) -> str:
    """One line without Rasa entity markup, so it is read back exactly as written."""
    text = _MARKUP.sub(r"\1", text)
    return " ".join(text.replace("[", "(").replace("]", ")").split())


@dataclass
class StaffData:
    examples: dict[str, list[str]] = field(default_factory=dict)  # full intent -> texts
    responses: dict[str, list[dict]] = field(default_factory=dict)  # utter_faq/<key> -> variants

    def count(self) -> int:
        return sum(len(texts) for texts in self.examples.values())


def read(path: Path) -> StaffData:
    if not path.exists():
        return StaffData()
    content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    data = StaffData()
    for item in content.get("nlu") or []:
        if "intent" in item:
            texts = [
                line.strip()[2:].strip()
                for line in str(item.get("examples") or "").splitlines()
                if line.strip().startswith("- ")
            ]
            data.examples.setdefault(item["intent"], []).extend(texts)
    data.responses = dict(content.get("responses") or {})
    return data


def render(data: StaffData) -> str:
    """Rasa YAML, deterministic: intents sorted, examples in the order they came."""
    lines = [HEADER]
    if not any(data.examples.values()):
        lines.append("nlu: []")  # Rasa refuses a file without an nlu: or responses: key
    else:
        lines.append("nlu:")
        for intent in sorted(data.examples):
            if not data.examples[intent]:
                continue
            lines.append(f"- intent: {intent}")
            lines.append("  examples: |")
            lines.extend(f"    - {text}" for text in data.examples[intent])
    if data.responses:
        lines.append("responses:")
        for name in sorted(data.responses):
            lines.append(f"  {name}:")
            for variant in data.responses[name]:
                # A JSON string is a valid YAML double-quoted scalar: no escaping surprises.
                lines.append(f"  - text: {json.dumps(variant['text'], ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def write(path: Path, data: StaffData) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(render(data), encoding="utf-8")
    tmp.replace(path)


def nlu_files(staff_file: Path) -> list[Path]:
    """Balie's own NLU files in Rasa's reading order, without any staff additions."""
    from rasa.shared.utils.io import list_files  # lazy: importing Rasa is slow

    skip = {DEFAULT_STAFF_DATA.resolve(), staff_file.resolve()}
    return [
        Path(f)
        for f in list_files(str(training.NLU_DIR))
        if f.endswith((".yml", ".yaml")) and Path(f).resolve() not in skip
    ]


def load_examples(staff_file: Path) -> list[tuple[str, str]]:
    """(text, full intent) of every example Balie trains on (blocking)."""
    files = nlu_files(staff_file) + ([staff_file] if staff_file.exists() else [])
    data = training.load_nlu(files)
    return [
        (m.get("text"), m.get("intent_response_key") or m.get("intent"))
        for m in data.intent_examples
    ]


@dataclass
class Known:
    """Every example Balie trains on: by normalised text (the same example) and as
    vectors (examples that look alike; built on first use: it takes a moment)."""

    examples: list[tuple[str, str]]
    index: dict[str, str] = field(init=False)
    space: ExampleSpace | None = None

    def __post_init__(self) -> None:
        self.index = {normalise(text): intent for text, intent in self.examples}

    def add(self, text: str, intent: str) -> None:
        self.examples.append((text, intent))
        self.index[normalise(text)] = intent
        if self.space is not None:
            self.space.add(text, intent)

    def lookalike(self, text: str, intent: str) -> Lookalike | None:
        """Blocking: may build the space first."""
        if self.space is None:
            self.space = ExampleSpace(self.examples)
        return self.space.lookalike(text, intent)


def domain_choices() -> tuple[list[str], list[str]]:
    """(intents staff may label with, FAQ topic keys of domain.yml)."""
    domain = yaml.safe_load(training.DOMAIN.read_text(encoding="utf-8")) or {}
    intents = []
    for item in domain.get("intents") or []:
        name = item if isinstance(item, str) else next(iter(item))
        if not name.startswith("EXTERNAL_") and name != "faq":
            intents.append(name)
    topics = [
        name.split("/", 1)[1]
        for name in domain.get("responses") or {}
        if name.startswith("utter_faq/")
    ]
    return intents, topics


@dataclass(frozen=True)
class Added:
    status: str  # "toegevoegd", "bestaat_al", "conflict" or "lijkt_op" (not saved)
    text: str
    existing_intent: str | None = None
    lookalike: Lookalike | None = None  # with "lijkt_op": the nearest examples


class StaffDataFile:
    """Adds to the staff file; one writer at a time, across processes and web-app instances.

    Every change reads the file, changes it and writes it back under a file lock
    (lock_file; the console keeps it in the shared models directory), so two instances
    adding examples at once lose neither.
    """

    def __init__(self, path: Path, lock_file: Path | None = None) -> None:
        self.path = path
        self.lock_file = lock_file or path.with_name(f".{path.name}.lock")
        self._lock = asyncio.Lock()
        self._known: Known | None = None
        self._known_stamp: tuple = ()

    @contextlib.asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        async with self._lock:
            self.lock_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_file, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                while True:  # without blocking the event loop (another process has it)
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        await asyncio.sleep(0.05)
                yield
            finally:
                os.close(fd)

    def _stamp(self) -> tuple:
        files = [*training.NLU_DIR.rglob("*.yml"), self.path]
        stamps = []
        for f in files:
            try:
                st = f.stat()
            except FileNotFoundError:
                continue
            stamps.append((str(f), st.st_mtime_ns, st.st_size, st.st_ino))
        return tuple(stamps)

    async def known(self) -> Known:
        stamp = await asyncio.to_thread(self._stamp)
        if self._known is None or stamp != self._known_stamp:
            self._known = Known(await asyncio.to_thread(load_examples, self.path))
            self._known_stamp = stamp
        return self._known

    async def index(self) -> dict[str, str]:
        """Normalised text -> full intent of every example Balie trains on."""
        return (await self.known()).index

    async def data(self) -> StaffData:
        return await asyncio.to_thread(read, self.path)

    async def choices(self) -> list[str]:
        """Every label a trainer can pick: intents and faq/<topic> for every FAQ topic."""
        intents, topics = await asyncio.to_thread(domain_choices)
        staff = await self.data()
        topics += [name.split("/", 1)[1] for name in staff.responses if "/" in name]
        return sorted(intents) + [f"faq/{t}" for t in sorted(set(topics))]

    async def add_example(
        self, text: str, intent: str, *, mask: bool = False, confirmed: bool = False
    ) -> Added:
        """Add one example; mask=True replaces personal data by stand-ins first,
        otherwise a text with personal data is refused. An example whose nearest
        examples mostly have another intent is only saved when confirmed (the trainer
        saw them); until then the answer is "lijkt_op" with those examples."""
        text = clean_text(text)
        if not text or len(text) > MAX_TEXT:
            raise DataError(f"Een voorbeeld heeft 1 tot {MAX_TEXT} tekens.")
        if mask:
            text = masking.stand_in(text)
        else:
            found = masking.kinds(text)
            if found:
                raise DataError(
                    "Het voorbeeld bevat persoonsgegevens (" + ", ".join(found) + "). "
                    "Vervang die door een verzonnen voorbeeld, bijvoorbeeld "
                    f"{masking.STAND_INS['email']} of {masking.STAND_INS['telefoonnummer']}."
                )
        if intent not in await self.choices():
            raise DataError(f"Onbekende intent: {intent}.")
        async with self._locked():
            known = await self.known()
            existing = known.index.get(normalise(text))
            if existing == intent:
                return Added("bestaat_al", text, existing)
            if existing:
                return Added("conflict", text, existing)
            if not confirmed:
                alike = await asyncio.to_thread(known.lookalike, text, intent)
                if alike is not None:
                    return Added("lijkt_op", text, alike.other, alike)
            data = await self.data()
            data.examples.setdefault(intent, []).append(text)
            await asyncio.to_thread(write, self.path, data)
            # Known now, without reading all training data again for the next one.
            known.add(text, intent)
            self._known_stamp = await asyncio.to_thread(self._stamp)
        return Added("toegevoegd", text)

    async def add_faq(self, key: str, answer: str, questions: list[str]) -> list[Added]:
        """A new FAQ topic: its answer and at least two example questions."""
        key = key.strip().lower()
        if not FAQ_KEY_RE.match(key):
            raise DataError(
                "De sleutel heeft 2 tot 40 tekens: kleine letters, cijfers en liggend streepje, "
                "en begint met een letter."
            )
        answer = answer.strip()
        if not 10 <= len(answer) <= 2000:
            raise DataError("Het antwoord heeft 10 tot 2000 tekens.")
        if masking.kinds(answer):
            raise DataError("Het antwoord bevat persoonsgegevens; haal die weg.")
        questions = [clean_text(q) for q in questions if clean_text(q)]
        if len(questions) < 2:
            raise DataError("Geef minstens twee voorbeeldvragen, elk op een eigen regel.")
        _, topics = await asyncio.to_thread(domain_choices)
        if key in topics or f"utter_faq/{key}" in (await self.data()).responses:
            raise DataError(f"Er is al een antwoord voor faq/{key}.")
        for question in questions:
            if masking.kinds(question):
                raise DataError(f"De vraag '{question}' bevat persoonsgegevens.")
        index = await self.index()
        clashes = [q for q in questions if index.get(normalise(q))]
        if clashes:
            raise DataError(
                f"Deze vraag staat al in de trainingsgegevens: '{clashes[0]}' "
                f"({index[normalise(clashes[0])]})."
            )
        async with self._locked():
            data = await self.data()
            data.responses[f"utter_faq/{key}"] = [{"text": answer}]
            examples = data.examples.setdefault(f"faq/{key}", [])
            added = []
            for question in questions:
                if normalise(question) not in {normalise(e) for e in examples}:
                    examples.append(question)
                    added.append(Added("toegevoegd", question))
            await asyncio.to_thread(write, self.path, data)
        return added

    async def remove_example(self, intent: str, text: str) -> bool:
        async with self._locked():
            data = await self.data()
            texts = data.examples.get(intent, [])
            if text not in texts:
                return False
            texts.remove(text)
            if not texts:
                del data.examples[intent]
                # A FAQ topic without questions cannot be learnt: its answer goes too.
                if intent.startswith("faq/"):
                    data.responses.pop(f"utter_{intent}", None)
            await asyncio.to_thread(write, self.path, data)
        return True
