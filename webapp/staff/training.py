"""Training models: fingerprinting the training inputs, train/test splits, `rasa train`."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sys
from pathlib import Path

from core import ROOT

log = logging.getLogger(__name__)

DATA_DIR = ROOT / "nlu_data"
NLU_DIR = DATA_DIR / "nlu"  # NLU examples, lookup tables; rules and stories sit above it
CONFIG = ROOT / "config.yml"
DOMAIN = ROOT / "domain.yml"
# Code that ends up inside the model graph (the components and the Dutch parsing they
# use): a change to it needs a new model.
COMPONENT_DIRS = (ROOT / "rasa_plugins" / "nlu", ROOT / "core" / "dutch")


def component_files() -> list[Path]:
    return sorted(f for d in COMPONENT_DIRS for f in d.glob("*.py"))


def training_inputs(config: Path = CONFIG, data: Path = DATA_DIR) -> list[Path]:
    files = [config, DOMAIN, *sorted(data.rglob("*.yml")), *component_files()]
    return [f for f in files if f.is_file()]


def fingerprint(config: Path = CONFIG, data: Path = DATA_DIR) -> str:
    """A short hash of everything that shapes a model."""
    digest = hashlib.sha256()
    for path in training_inputs(config, data):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


async def run_rasa(*args: str, log_file: Path | None = None) -> None:
    """Run a `rasa` CLI command in a subprocess without blocking the event loop."""
    cmd = [sys.executable, "-m", "rasa", *args]
    log.info("running %s", " ".join(cmd))
    out = open(log_file, "wb") if log_file else None
    try:
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            cwd=ROOT,
            stdout=out or asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.STDOUT,
        )
        code = await proc.wait()
    finally:
        if out:
            out.close()
    if code != 0:
        where = f"; see {log_file}" if log_file else ""
        raise RuntimeError(f"rasa {args[0]} failed with exit code {code}{where}")


async def train(
    out_dir: Path,
    name: str,
    data: list[Path] | None = None,
    config: Path = CONFIG,
    log_file: Path | None = None,
) -> Path:
    """Train a full model (NLU and dialogue) into out_dir/name.tar.gz."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data_args = [str(p) for p in (data or [DATA_DIR])]
    await run_rasa(
        "train",
        "--config",
        str(config),
        "--domain",
        str(DOMAIN),
        "--data",
        *data_args,
        "--out",
        str(out_dir),
        "--fixed-model-name",
        name,
        "--quiet",
        log_file=log_file,
    )
    return out_dir / f"{name}.tar.gz"


def dialogue_files() -> list[Path]:
    return sorted(p for p in DATA_DIR.rglob("*.yml") if NLU_DIR not in p.parents)


def load_nlu(paths: list[Path] | None = None):  # -> rasa TrainingData (imported lazily: slow)
    """The NLU training data of the given files (default: all of nlu_data/), merged."""
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    return TrainingData().merge(*(load_data(str(p)) for p in paths or [NLU_DIR]))


def split_nlu(out_dir: Path, train_fraction: float = 0.8, seed: int = 42) -> tuple[Path, Path]:
    """Split the NLU data per intent into a training and a held-out file (deterministic)."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter

    data = load_nlu()
    train_part, test_part = data.train_test_split(train_frac=train_fraction, random_seed=seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    train_file, test_file = out_dir / "train_nlu.yml", out_dir / "test_nlu.yml"
    RasaYAMLWriter().dump(train_file, train_part)
    RasaYAMLWriter().dump(test_file, test_part)
    return train_file, test_file
