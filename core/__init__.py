"""Balie's core: what every process may import, and which imports nothing else of Balie's.

Domain types (case types, statuses, channels, identifiers and controlecodes), the Case
API's models and client, Dutch parsing (`dutch/`), resident commands and the Dutch copy
said outside Rasa (`residents/`), personal-data masking and sealing, settings, time
zones, logs and metrics. docs/architecture.md draws the floor plan.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Rasa reports telemetry and crashes to its servers by default; Balie talks to nobody but
# its own services. Every process Balie starts inherits this.
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
