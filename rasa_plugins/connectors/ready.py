"""Is this Rasa server ready for residents' messages (its model loaded)?"""

from __future__ import annotations

from typing import Any

from sanic.request import Request


def agent(request: Request) -> Any:
    """The server's Agent, or None while Rasa is still starting."""
    return getattr(request.app.ctx, "agent", None)


def agent_ready(request: Request) -> bool:
    """Rasa drops messages while the model is still loading: do not accept them yet."""
    found = agent(request)
    return found is not None and found.is_ready()
