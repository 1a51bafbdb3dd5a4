"""`python -m bot.rasa_server run ...`: `rasa run` with its HTTP API behind Balie's token.

Rasa reads its API token only from `--auth-token`; a token on the command line is
readable by every local user (`ps`, /proc/*/cmdline). This wrapper adds it to Rasa's
own argument list in-process instead, from BALIE_RASA_TOKEN or the token file in the
data directory (bot/settings.py), so every route except `/` and `/version` answers
401/403 to callers without it.
"""

from __future__ import annotations

import sys

from bot.settings import Settings


def main() -> None:
    from rasa.__main__ import main as rasa_main

    if "--auth-token" in sys.argv or "--jwt-secret" in sys.argv:
        raise SystemExit("bot.rasa_server sets Rasa's token itself (BALIE_RASA_TOKEN)")
    sys.argv = ["rasa", *sys.argv[1:], "--auth-token", Settings.from_env().rasa_token()]
    rasa_main()


if __name__ == "__main__":
    main()
