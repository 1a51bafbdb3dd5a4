"""Server-side SVG charts (matplotlib, no browser script: the console's CSP stays strict)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from webapp.staff.insight import Row
from webapp.staff.numbers import komma


def conversations_svg(rows: Sequence[Row]) -> bytes:
    """Bars of conversations and unanswered messages per bucket."""
    import matplotlib  # slow import: only when a chart is asked for

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

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
    # Counts: whole numbers on the axis ("1", not "1.0"), as the table beside it has them.
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: komma(value, 0)))
    axes.set_xticks(list(positions))
    axes.set_xticklabels(labels, rotation=45, ha="right", fontsize=7)
    axes.legend()
    figure.tight_layout()
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue().encode()
