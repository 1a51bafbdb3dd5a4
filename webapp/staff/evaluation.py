"""Scoring a model on the held-out splits with `rasa test nlu`, and reading the results.

Each evaluation is kept per model and held-out split in
`<models>/evaluaties/<model>/<split>/summary.json` (scores, errors, the confusion of
full intents, FAQ topics included), and per set of held-out staff examples in
`<models>/evaluaties/<model>/medewerkers/<fingerprint>/summary.json`.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.residents.choices import FAQ_INTENT
from webapp.staff.heldout import Split, StaffSplit
from webapp.staff.process import run_rasa_streamed
from webapp.staff.registry import ModelEntry

MAX_ERRORS = 300
STAFF_DIR = "medewerkers"  # scores on held-out staff examples, per set of examples
_NOT_LABELS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


class EvaluationError(RuntimeError):
    pass


def root(models_dir: Path) -> Path:
    return models_dir / "evaluaties"


def directory(models_dir: Path, name: str, heldout: str) -> Path:
    return root(models_dir) / name / heldout


def forget(models_dir: Path, name: str) -> None:
    """Remove a model's evaluations (the model itself is gone)."""
    shutil.rmtree(root(models_dir) / name, ignore_errors=True)


def load(models_dir: Path, name: str, heldout: str) -> dict[str, Any] | None:
    path = directory(models_dir, name, heldout) / "summary.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def latest(models_dir: Path, name: str) -> dict[str, Any] | None:
    """The model's most recent evaluation, on whichever split."""
    found = sorted(
        (root(models_dir) / name).glob("*/summary.json"), key=lambda p: p.stat().st_mtime
    )
    return json.loads(found[-1].read_text(encoding="utf-8")) if found else None


def _scores(report: dict[str, Any]) -> dict[str, dict[str, float]]:
    return {
        label: {
            "precision": round(values["precision"], 4),
            "recall": round(values["recall"], 4),
            "f1": round(values["f1-score"], 4),
            "support": int(values["support"]),
        }
        for label, values in report.items()
        if label not in _NOT_LABELS and isinstance(values, dict)
    }


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _both(out: Path, name: str) -> list[dict[str, Any]]:
    """Rasa's successes and errors of one kind (`rasa test nlu --successes`)."""
    return [
        *(_read_json(out / f"{name}_successes.json") or []),
        *(_read_json(out / f"{name}_errors.json") or []),
    ]


def predictions(out: Path) -> list[dict[str, Any]]:
    """Every test example with its full expected and predicted intent ("faq/pgb" for a
    FAQ topic), from Rasa's intent and response-selection results."""
    topics = {
        r["text"]: (
            r.get("intent_response_key_target"),
            (r.get("intent_response_key_prediction") or {}).get("name"),
        )
        for r in _both(out, "response_selection")
    }
    found = []
    for r in _both(out, "intent"):
        predicted = (r.get("intent_prediction") or {}).get("name") or ""
        expected = r["intent"]
        target, topic = topics.get(r["text"], (None, None))
        if expected == FAQ_INTENT and target:
            expected = target
        if predicted == FAQ_INTENT and topic:
            predicted = topic
        found.append(
            {
                "tekst": r["text"],
                "verwacht": expected,
                "voorspeld": predicted,
                "zekerheid": round((r.get("intent_prediction") or {}).get("confidence") or 0.0, 3),
            }
        )
    return found


def confusion(found: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Expected full intent -> predicted full intent -> how often."""
    matrix: dict[str, dict[str, int]] = {}
    for p in found:
        row = matrix.setdefault(p["verwacht"], {})
        row[p["voorspeld"]] = row.get(p["voorspeld"], 0) + 1
    return matrix


def summarise(out: Path, heldout: str) -> dict[str, Any]:
    """The parts of Rasa's NLU test output staff look at."""
    report = _read_json(out / "intent_report.json")
    if not report:
        raise EvaluationError("rasa test nlu wrote no intent report")
    faq = _read_json(out / "response_selection_report.json") or {}
    found = predictions(out)
    wrong = [p for p in found if p["verwacht"] != p["voorspeld"]]
    return {
        "heldout": heldout,
        "accuracy": round(report.get("accuracy", 0.0), 4),
        "macro_f1": round(report["macro avg"]["f1-score"], 4),
        "weighted_f1": round(report["weighted avg"]["f1-score"], 4),
        "support": int(report["macro avg"]["support"]),
        "intents": _scores(report),
        "faq_macro_f1": round(faq["macro avg"]["f1-score"], 4) if "macro avg" in faq else None,
        "faq": _scores(faq),
        # Full intents: a FAQ question answered with the wrong topic counts as wrong.
        "full_accuracy": round(1 - len(wrong) / len(found), 4) if found else None,
        "confusion": confusion(found),
        "errors": wrong[:MAX_ERRORS],
    }


def _fresh(work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)


async def _rasa_test(entry: ModelEntry, test_file: Path, work: Path, log_path: Path) -> None:
    await asyncio.to_thread(_fresh, work)
    args = ["test", "nlu", "--nlu", str(test_file), "--model", entry.path, "--out", str(work)]
    code = await run_rasa_streamed([*args, "--successes", "--no-plot"], log_path)
    if code != 0:
        raise EvaluationError(f"rasa test nlu for {entry.name} failed with exit code {code}")


def _keep(work: Path, summary: dict[str, Any], target: Path) -> dict[str, Any]:
    """Keep only the summary the console shows, under target."""
    (work / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    for path in work.iterdir():
        if path.name != "summary.json":
            path.unlink()
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)
    return summary


async def _scored(
    target: Path,
    entry: ModelEntry,
    test: Path,
    log_path: Path,
    read: Callable[[Path], dict[str, Any]],
) -> dict[str, Any]:
    """The summary kept in target, or `rasa test nlu` on test and read's summary of it."""
    done = _read_json(target / "summary.json")
    if done:
        return done
    work = target.with_name(target.name + ".work")
    await _rasa_test(entry, test, work, log_path)
    return _keep(work, {**read(work), "model": entry.name}, target)


async def evaluate(models_dir: Path, entry: ModelEntry, split: Split, log_path: Path) -> dict:
    """Score entry on the split's held-out file; reuses an earlier result."""
    target = directory(models_dir, entry.name, split.fingerprint)
    return await _scored(
        target, entry, split.test_file, log_path, lambda work: summarise(work, split.fingerprint)
    )


# --- the held-out staff examples ------------------------------------------------------------


def staff_directory(models_dir: Path, name: str, fingerprint: str) -> Path:
    return root(models_dir) / name / STAFF_DIR / fingerprint


def load_staff(models_dir: Path, name: str, fingerprint: str) -> dict[str, Any] | None:
    return _read_json(staff_directory(models_dir, name, fingerprint) / "summary.json")


def latest_staff(models_dir: Path, name: str) -> dict[str, Any] | None:
    """The model's most recent score on held-out staff examples."""
    found = sorted(
        (root(models_dir) / name / STAFF_DIR).glob("*/summary.json"),
        key=lambda p: p.stat().st_mtime,
    )
    return _read_json(found[-1]) if found else None


async def evaluate_staff(
    models_dir: Path, entry: ModelEntry, staff: StaffSplit, log_path: Path
) -> dict:
    """Score entry on the held-out staff examples (full intents); reuses an earlier result."""
    assert staff.test_dir is not None and staff.fingerprint is not None
    fingerprint = staff.fingerprint

    def read(work: Path) -> dict[str, Any]:
        found = [p for p in predictions(work) if p["tekst"] in staff.texts]
        right = sum(p["verwacht"] == p["voorspeld"] for p in found)
        return {
            "staff": fingerprint,
            "support": len(found),
            "correct": right,
            "accuracy": round(right / len(found), 4) if found else None,
            "predictions": found[:MAX_ERRORS],
        }

    target = staff_directory(models_dir, entry.name, fingerprint)
    return await _scored(target, entry, staff.test_dir, log_path, read)


def staff_gain(new: dict[str, Any] | None, old: dict[str, Any] | None) -> float | None:
    """Points of full-intent accuracy the candidate gains on the held-out staff examples."""
    if not new or not old or new.get("accuracy") is None or old.get("accuracy") is None:
        return None
    return round((new["accuracy"] - old["accuracy"]) * 100, 1)
