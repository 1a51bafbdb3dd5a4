"""Numbers as Dutch readers write them: a decimal comma ("0,91", "41,5%").

The console's one formatter of decimals: its templates use it as the Jinja filters
`komma` and `procent` (console/render.py), and texts built in Python, such as the
promotion verdict, call it directly.
"""

from __future__ import annotations


def komma(value: float | None, decimals: int = 2, sign: bool = False) -> str:
    """'0,91', '+1,5'; '–' for none."""
    if value is None:
        return "–"
    return f"{value:{'+' if sign else ''}.{decimals}f}".replace(".", ",")


def procent(value: float | None, decimals: int = 1) -> str:
    """'41,5%' from 0.415."""
    return "–" if value is None else komma(value * 100, decimals) + "%"
