"""Case backends behind one interface; `BALIE_BACKEND` picks one (default `builtin`)."""

from __future__ import annotations

import os

from actions.backends.base import CaseBackend

BACKENDS = ("builtin", "signalen", "zgw")


def backend_from_env() -> CaseBackend:
    name = os.environ.get("BALIE_BACKEND", "builtin")
    if name == "builtin":
        from actions.backends.builtin import BuiltinBackend

        return BuiltinBackend.from_env()
    if name == "signalen":
        from actions.backends.signalen import SignalenBackend

        return SignalenBackend.from_env()
    if name == "zgw":
        from actions.backends.zgw import ZgwBackend

        return ZgwBackend.from_env()
    raise ValueError(f"BALIE_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
