"""Settings of the staff console and the model life cycle (part of webapp.settings)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from core import ROOT
from core.settings import ConfigError, Env

DEFAULT_STAFF_DATA = ROOT / "nlu_data" / "nlu" / "staff.yml"


@dataclass(frozen=True)
class StaffConfig:
    # Training examples and FAQ answers added in the console (Rasa YAML).
    data_file: Path = DEFAULT_STAFF_DATA
    # NLU pipeline and policies used to train new models.
    train_config: Path = ROOT / "config.yml"
    # User messages below this intent confidence land in the NLU inbox.
    inbox_threshold: float = 0.6
    # The share of confident messages that also come by in the inbox, as a spot check.
    inbox_sample: float = 0.02
    # A candidate may score this much lower (macro-F1) and still count as "not worse".
    promotion_tolerance: float = 0.0
    # Models kept on disk: older ones are removed after a training, never the live model
    # or the one a rollback returns to.
    models_keep: int = 5
    # Send the session cookie only over HTTPS (set this behind a TLS proxy).
    secure_cookie: bool = False
    # How often every Rasa server asks the web app for a new live model.
    model_pull_seconds: int = 10
    # The cases map: an XYZ tile URL ("https://tiles.example/{z}/{x}/{y}.png") and the
    # attribution its licence asks for. Unset: the map page is a plain list.
    map_tiles: str = ""
    map_attribution: str = ""

    @property
    def map_tile_origin(self) -> str:
        """The tile server's origin, for the console's Content-Security-Policy."""
        if not self.map_tiles:
            return ""
        parts = urlsplit(self.map_tiles)
        return f"{parts.scheme}://{parts.netloc}"

    @classmethod
    def read(cls, env: Env) -> StaffConfig:
        return cls(
            data_file=env.path("BALIE_STAFF_DATA", DEFAULT_STAFF_DATA),
            train_config=env.path("BALIE_TRAIN_CONFIG", ROOT / "config.yml"),
            inbox_threshold=env.number("BALIE_INBOX_THRESHOLD", 0.6),
            inbox_sample=min(1.0, env.number("BALIE_INBOX_SAMPLE", 0.02, minimum=0.0)),
            promotion_tolerance=env.number("BALIE_PROMOTION_TOLERANCE", 0.0),
            models_keep=env.integer("BALIE_MODELS_KEEP", 5, minimum=2),
            secure_cookie=env.flag("BALIE_STAFF_SECURE_COOKIE"),
            model_pull_seconds=env.integer("BALIE_MODEL_PULL_SECONDS", 10, minimum=1),
            map_tiles=tile_url(env.text("BALIE_MAP_TILES")),
            map_attribution=env.text("BALIE_MAP_ATTRIBUTION")[:300],
        )


def tile_url(raw: str) -> str:
    """An http(s) XYZ template with {z}, {x} and {y}, or "" for no map."""
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"BALIE_MAP_TILES must be an http(s) URL, not {raw!r}")
    if not all(part in raw for part in ("{z}", "{x}", "{y}")):
        raise ConfigError("BALIE_MAP_TILES needs {z}, {x} and {y} (an XYZ tile URL)")
    return raw
