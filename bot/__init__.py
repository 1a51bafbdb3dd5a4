"""The `balie` command (`python -m bot`): starts and supervises Balie's processes.

It composes the process packages (`rasa_plugins`, `actions`, `webapp`) on top of `core`:
run, run-cluster, train, and the staff and privacy commands.
"""

import core  # noqa: F401  (Rasa's telemetry off before anything imports Rasa)
