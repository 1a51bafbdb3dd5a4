"""The held-out splits: the NLU examples no model Balie trains ever sees, to score them all.

Balie's own NLU data is split per intent, 80/20, with a fixed seed, exactly like the
test suite's split. The split is kept by a fingerprint of that data, so models trained
on the same data are scored on the same held-out examples.

The staff additions are split too, by a hash of each example's normalised text: one in
STAFF_SHARE is held out of every training, for good, and scores the candidate and the
live model on examples neither has seen ("+2,1 punt op uw nieuwe voorbeelden"). The
hash, not the order or the number of examples, decides, so an example never moves from
the trained part into the held-out part when staff add or remove others. (Before this
split existed every staff addition was trained on and only Balie's own data was held
out: a candidate with new staff examples and the live model without them scored the
same, as nothing in the test data came from staff.)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from webapp.staff import trainingdata
from webapp.staff.trainingdata import StaffData, nlu_files

TRAIN_FRACTION = 0.8
SEED = 42
STAFF_SHARE = 5  # one in five staff examples is held out


@dataclass(frozen=True)
class Split:
    fingerprint: str
    train_file: Path
    test_file: Path


def data_fingerprint(files: list[Path]) -> str:
    digest = hashlib.sha256(f"{TRAIN_FRACTION}:{SEED}".encode())
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def current_fingerprint(staff_file: Path) -> str:
    return data_fingerprint(nlu_files(staff_file))


def split(root: Path, staff_file: Path) -> Split:
    """The split of the current data, made once per fingerprint (blocking, loads Rasa)."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter

    from webapp.staff.training import load_nlu

    files = nlu_files(staff_file)
    fingerprint = data_fingerprint(files)
    out = root / fingerprint
    result = Split(fingerprint, out / "train_nlu.yml", out / "test_nlu.yml")
    if result.train_file.exists() and result.test_file.exists():
        return result
    out.mkdir(parents=True, exist_ok=True)
    train_part, test_part = load_nlu(files).train_test_split(
        train_frac=TRAIN_FRACTION, random_seed=SEED
    )
    for data, target in ((train_part, result.train_file), (test_part, result.test_file)):
        tmp = target.with_suffix(".tmp")
        RasaYAMLWriter().dump(tmp, data)
        tmp.replace(target)
    return result


def staff_held_out(text: str) -> bool:
    """Is this staff example held out of training (and used to score)? Fixed per text."""
    key = hashlib.sha256(f"balie-staff:{trainingdata.normalise(text)}".encode()).digest()
    return int.from_bytes(key[:8], "big") % STAFF_SHARE == 0


def staff_parts(data: StaffData) -> tuple[StaffData, StaffData]:
    """(what models train on: examples and all answers, the held-out examples)."""
    train, test = StaffData(responses=dict(data.responses)), StaffData()
    for intent, texts in data.examples.items():
        for text in texts:
            part = test if staff_held_out(text) else train
            part.examples.setdefault(intent, []).append(text)
    return train, test


@dataclass(frozen=True)
class StaffSplit:
    train_file: Path  # the staff file without its held-out examples
    # A directory for `rasa test nlu`: the held-out staff examples next to Balie's own
    # held-out file (Rasa scores intents only with two or more in the test data; the
    # scores are read for the staff examples alone). None when there are none.
    test_dir: Path | None
    texts: frozenset[str]  # the held-out staff examples
    fingerprint: str | None  # of the held-out examples, to keep their scores by


def split_staff(root: Path, staff_file: Path, base_test: Path) -> StaffSplit:
    """Write the two parts of the staff additions under root (a job's directory)."""
    train, test = staff_parts(trainingdata.read(staff_file))
    root.mkdir(parents=True, exist_ok=True)
    train_file = root / "staff_train_nlu.yml"
    trainingdata.write(train_file, train)
    if not test.count():
        return StaffSplit(train_file, None, frozenset(), None)
    text = trainingdata.render(test)
    digest = hashlib.sha256(text.encode())
    digest.update(base_test.read_bytes())
    test_dir = root / "staff_test"
    test_dir.mkdir(exist_ok=True)
    (test_dir / "staff_test_nlu.yml").write_text(text, encoding="utf-8")
    (test_dir / "test_nlu.yml").write_bytes(base_test.read_bytes())
    texts = frozenset(t for texts in test.examples.values() for t in texts)
    return StaffSplit(train_file, test_dir, texts, digest.hexdigest()[:12])
