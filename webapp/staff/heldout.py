"""The held-out split: the NLU examples no model Balie trains ever sees, to score them all.

Balie's own NLU data (never the staff additions, which are always trained on) is split
per intent, 80/20, with a fixed seed, exactly like the test suite's split. The split is
kept by a fingerprint of that data, so models trained on the same data are scored on
the same held-out examples.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from webapp.staff.trainingdata import nlu_files

TRAIN_FRACTION = 0.8
SEED = 42


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
