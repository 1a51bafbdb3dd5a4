"""Scoring a model on the held-out split with `rasa test nlu`, and reading the results.

Each evaluation is kept per model and held-out split in
`<models>/evaluaties/<model>/<split>/`: `summary.json` (scores, errors) and the
confusion matrix as a PNG.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from webapp.staff.heldout import Split
from webapp.staff.process import run_rasa_streamed
from webapp.staff.registry import ModelEntry

CONFUSION_PNG = "intent_confusion_matrix.png"
MAX_ERRORS = 300
_NOT_LABELS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


class EvaluationError(RuntimeError):
    pass


def root(models_dir: Path) -> Path:
    return models_dir / "evaluaties"


def directory(models_dir: Path, name: str, heldout: str) -> Path:
    return root(models_dir) / name / heldout


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


def summarise(out: Path, heldout: str) -> dict[str, Any]:
    """The parts of Rasa's NLU test output staff look at."""
    report = _read_json(out / "intent_report.json")
    if not report:
        raise EvaluationError("rasa test nlu wrote no intent report")
    faq = _read_json(out / "response_selection_report.json") or {}
    errors = [
        {
            "tekst": e["text"],
            "verwacht": e["intent"],
            "voorspeld": (e.get("intent_prediction") or {}).get("name"),
            "zekerheid": round((e.get("intent_prediction") or {}).get("confidence") or 0.0, 3),
        }
        for e in (_read_json(out / "intent_errors.json") or [])[:MAX_ERRORS]
    ]
    faq_errors = [
        {
            "tekst": e["text"],
            "verwacht": e.get("intent_response_key_target"),
            "voorspeld": (e.get("intent_response_key_prediction") or {}).get("name"),
            "zekerheid": round(
                (e.get("intent_response_key_prediction") or {}).get("confidence") or 0.0, 3
            ),
        }
        for e in (_read_json(out / "response_selection_errors.json") or [])[:MAX_ERRORS]
    ]
    return {
        "heldout": heldout,
        "accuracy": round(report.get("accuracy", 0.0), 4),
        "macro_f1": round(report["macro avg"]["f1-score"], 4),
        "weighted_f1": round(report["weighted avg"]["f1-score"], 4),
        "support": int(report["macro avg"]["support"]),
        "intents": _scores(report),
        "faq_macro_f1": round(faq["macro avg"]["f1-score"], 4) if "macro avg" in faq else None,
        "faq": _scores(faq),
        "errors": errors,
        "faq_errors": faq_errors,
    }


async def evaluate(models_dir: Path, entry: ModelEntry, split: Split, log_path: Path) -> dict:
    """Score entry on the split's held-out file; reuses an earlier result."""
    done = load(models_dir, entry.name, split.fingerprint)
    if done:
        return done
    target = directory(models_dir, entry.name, split.fingerprint)
    work = target.with_name(target.name + ".work")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    code = await run_rasa_streamed(
        ["test", "nlu", "--nlu", str(split.test_file), "--model", entry.path, "--out", str(work)],
        log_path,
    )
    if code != 0:
        raise EvaluationError(f"rasa test nlu for {entry.name} failed with exit code {code}")
    summary = summarise(work, split.fingerprint)
    summary["model"] = entry.name
    (work / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    # Keep only what the console shows.
    for path in work.iterdir():
        if path.name not in ("summary.json", CONFUSION_PNG):
            path.unlink()
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)
    return summary
