"""Balie: the digital front desk of a Dutch municipality."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Rasa reports telemetry and crashes to its servers by default; Balie talks to nobody but
# its own services. Every process Balie starts inherits this.
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
