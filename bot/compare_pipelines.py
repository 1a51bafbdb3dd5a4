"""Cross-validate the candidate NLU pipelines and write docs/nlu.md's table.

The candidates are config.yml's pipeline with another tokenizer, so they differ in
nothing else and cannot drift apart from what Balie runs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import yaml

from core import ROOT
from webapp.staff.training import DOMAIN, NLU_DIR, run_rasa

CONFIG = ROOT / "config.yml"
# Candidate name -> the tokenizer it puts first in config.yml's pipeline.
TOKENIZERS = {
    "whitespace": {"name": "WhitespaceTokenizer"},
    "spacy_nl": {"name": "rasa_plugins.nlu.tokenizer.DutchSpacyTokenizer"},
}
DOC = ROOT / "docs" / "nlu.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


async def cross_validate(config: Path, folds: int, out: Path) -> tuple[dict, dict, float]:
    out.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    await run_rasa(
        "test",
        "nlu",
        "--nlu",
        str(NLU_DIR),
        "--domain",
        str(DOMAIN),
        "--config",
        str(config),
        "--cross-validation",
        "--folds",
        str(folds),
        "--out",
        str(out),
        "--no-plot",
        "--no-errors",
        log_file=out / "rasa.log",
    )
    elapsed = time.monotonic() - start
    intents = json.loads((out / "intent_report.json").read_text())
    responses_file = out / "response_selection_report.json"
    responses = json.loads(responses_file.read_text()) if responses_file.exists() else {}
    return intents, responses, elapsed


def _row(label: str, cells: list[str]) -> str:
    return f"| {label} | " + " | ".join(cells) + " |"


def _table(results: dict[str, tuple[dict, dict, float]], folds: int) -> str:
    runs = list(results.values())
    labels = sorted(
        {k for r in runs for k in r[0] if isinstance(r[0][k], dict)}
        - {"macro avg", "weighted avg", "micro avg"}
    )
    header = [_row("", [f"`{n}`" for n in results]), "|---|" + "---|" * len(results)]
    lines = [
        f"{folds}-fold cross-validation on all of `nlu_data/` (`make compare-pipelines`).",
        "",
        *header,
        _row("intent macro-F1", [f"**{r[0]['macro avg']['f1-score']:.3f}**" for r in runs]),
        _row("intent accuracy", [f"{r[0]['accuracy']:.3f}" for r in runs]),
        _row(
            "FAQ sub-intent macro-F1",
            [f"{r[1].get('macro avg', {}).get('f1-score', float('nan')):.3f}" for r in runs],
        ),
        _row("time for all folds", [f"{r[2] / 60:.1f} min" for r in runs]),
        "",
        "Per-intent F1:",
        "",
        *header,
    ]
    for label in labels:
        lines.append(_row(label, [f"{r[0].get(label, {}).get('f1-score', 0):.3f}" for r in runs]))
    return "\n".join(lines)


def candidate_config(name: str, out: Path) -> Path:
    """config.yml with the candidate's tokenizer, NLU only."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    config["pipeline"][0] = TOKENIZERS[name]
    config.pop("policies", None)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "config.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


async def main(folds: int, out: Path) -> int:
    results = {}
    for name in TOKENIZERS:
        print(f"cross-validating {name} ({folds} folds)...", flush=True)
        config = candidate_config(name, out / name)
        results[name] = await cross_validate(config, folds, out / name)
        print(f"  macro-F1 {results[name][0]['macro avg']['f1-score']:.3f}", flush=True)
    table = _table(results, folds)
    doc = DOC.read_text(encoding="utf-8")
    head, _, rest = doc.partition(BEGIN)
    _, _, tail = rest.partition(END)
    DOC.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", encoding="utf-8")
    print(table)
    return 0
