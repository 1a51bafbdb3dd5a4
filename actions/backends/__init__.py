"""Case backends behind one interface; `BALIE_BACKEND` picks one (default `builtin`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actions.backends.base import CaseBackend
from core.caseapi.client import CaseApiClient

if TYPE_CHECKING:
    from actions.settings import ActionSettings

BACKENDS = ("builtin", "signalen", "zgw")


def backend_of(settings: ActionSettings) -> CaseBackend:
    """The case system the settings chose; Signalen's and ZGW's receipts are kept by the
    web app, reached like the built-in case system through its Case API."""
    api = CaseApiClient.of(settings)
    if settings.backend == "signalen" and settings.signalen is not None:
        from actions.backends.ledger import Ledger
        from actions.backends.signalen import SignalenBackend

        return SignalenBackend.of(settings.signalen, Ledger(api))
    if settings.backend == "zgw" and settings.zgw is not None:
        from actions.backends.ledger import Ledger
        from actions.backends.zgw import ZgwBackend

        return ZgwBackend(settings.zgw, Ledger(api))
    from actions.backends.builtin import BuiltinBackend

    return BuiltinBackend(api)
