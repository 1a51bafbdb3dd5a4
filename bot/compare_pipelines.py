"""Cross-validate the candidate NLU pipelines in bot/pipelines/ and write docs/nlu.md's table."""

from __future__ import annotations

import json
import time
from pathlib import Path

from bot import ROOT
from bot.training import DATA_DIR, run_rasa

PIPELINES = ROOT / "bot" / "pipelines"
DOC = ROOT / "docs" / "nlu.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


async def cross_validate(config: Path, folds: int, out: Path) -> tuple[dict, dict, float]:
    out.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    await run_rasa(
        "test", "nlu", "--nlu", str(DATA_DIR), "--config", str(config), "--cross-validation",
        "--folds", str(folds), "--out", str(out), "--no-plot", "--no-errors",
        log_file=out / "rasa.log",
    )  # fmt: skip
    elapsed = time.monotonic() - start
    intents = json.loads((out / "intent_report.json").read_text())
    responses_file = out / "response_selection_report.json"
    responses = json.loads(responses_file.read_text()) if responses_file.exists() else {}
    return intents, responses, elapsed


def _table(results: dict[str, tuple[dict, dict, float]], folds: int) -> str:
    names = list(results)
    labels = sorted(
        {k for r in results.values() for k in r[0] if isinstance(r[0][k], dict)}
        - {"macro avg", "weighted avg", "micro avg"}
    )
    lines = [
        f"{folds}-fold cross-validation on all of `nlu_data/` (`make compare-pipelines`).",
        "",
        "| | " + " | ".join(f"`{n}`" for n in names) + " |",
        "|---|" + "---|" * len(names),
        "| intent macro-F1 | "
        + " | ".join(f"**{r[0]['macro avg']['f1-score']:.3f}**" for r in results.values()) + " |",
        "| intent accuracy | " + " | ".join(f"{r[0]['accuracy']:.3f}" for r in results.values()) + " |",
        "| FAQ sub-intent macro-F1 | "
        + " | ".join(f"{r[1].get('macro avg', {}).get('f1-score', float('nan')):.3f}"
                     for r in results.values()) + " |",
        "| time for all folds | " + " | ".join(f"{r[2] / 60:.1f} min" for r in results.values()) + " |",
        "",
        "Per-intent F1:",
        "",
        "| intent | " + " | ".join(f"`{n}`" for n in names) + " |",
        "|---|" + "---|" * len(names),
    ]  # fmt: skip
    for label in labels:
        cells = [r[0].get(label, {}).get("f1-score", float("nan")) for r in results.values()]
        lines.append(f"| {label} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    return "\n".join(lines)


async def main(folds: int, out: Path) -> int:
    results = {}
    for config in sorted(PIPELINES.glob("*.yml")):
        print(f"cross-validating {config.stem} ({folds} folds)...", flush=True)
        results[config.stem] = await cross_validate(config, folds, out / config.stem)
        print(f"  macro-F1 {results[config.stem][0]['macro avg']['f1-score']:.3f}", flush=True)
    table = _table(results, folds)
    doc = DOC.read_text(encoding="utf-8")
    head, _, rest = doc.partition(BEGIN)
    _, _, tail = rest.partition(END)
    DOC.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", encoding="utf-8")
    print(table)
    return 0
