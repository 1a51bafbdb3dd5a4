"""Server-side SVG charts (matplotlib, no browser script: the console's CSP stays strict)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from webapp.staff.insight import Row


def conversations_svg(rows: Sequence[Row]) -> bytes:
    """Bars of conversations and unanswered messages per bucket."""
    import matplotlib  # slow import: only when a chart is asked for

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    # Figure rather than pyplot: no global state shared between concurrent requests.
    figure = Figure(figsize=(8, 3))
    axes = figure.subplots()
    labels = [row.label for row in rows]
    positions = range(len(rows))
    axes.bar(
        [p - 0.2 for p in positions],
        [r.conversations for r in rows],
        0.4,
        label="Gesprekken",
        color="#1f4e79",
    )
    axes.bar(
        [p + 0.2 for p in positions],
        [r.unanswered for r in rows],
        0.4,
        label="Niet begrepen",
        color="#b34700",
    )
    axes.set_xticks(list(positions))
    axes.set_xticklabels(labels, rotation=45, ha="right", fontsize=7)
    axes.legend()
    figure.tight_layout()
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue().encode()
