"""Balie: the digital front desk of a Dutch municipality."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
