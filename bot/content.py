"""The municipality's own settings (name, phone, opening hours, website)."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from bot import ROOT

DEFAULT_CONTENT_FILE = ROOT / "content" / "gemeente.yml"

_cache: dict[Path, tuple[float, dict[str, str]]] = {}


def content_file() -> Path:
    return Path(os.environ.get("BALIE_CONTENT_FILE", DEFAULT_CONTENT_FILE))


def gemeente_settings(path: Path | None = None) -> dict[str, str]:
    """The `gemeente:` settings, re-read when the file changes."""
    path = path or content_file()
    mtime = path.stat().st_mtime
    cached = _cache.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    settings = {str(k): str(v) for k, v in (data.get("gemeente") or {}).items()}
    _cache[path] = (mtime, settings)
    return settings


def gemeente_slots(path: Path | None = None) -> dict[str, str]:
    """The settings as the Rasa slots that response templates use: {gemeente_naam}, ..."""
    return {f"gemeente_{key}": value for key, value in gemeente_settings(path).items()}
