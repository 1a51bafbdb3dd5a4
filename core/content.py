"""The municipality's own settings (name, phone, opening hours, website, time zone)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from core import ROOT

DEFAULT_CONTENT_FILE = ROOT / "content" / "gemeente.yml"
DEFAULT_TIJDZONE = "Europe/Amsterdam"

_cache: dict[Path, tuple[float, dict[str, Any]]] = {}


def content_file() -> Path:
    return Path(os.environ.get("BALIE_CONTENT_FILE", DEFAULT_CONTENT_FILE))


def _content(path: Path | None = None) -> dict[str, Any]:
    """The whole file, re-read when it changes."""
    path = path or content_file()
    mtime = path.stat().st_mtime
    cached = _cache.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    _cache[path] = (mtime, data)
    return data


def gemeente_settings(path: Path | None = None) -> dict[str, str]:
    """The `gemeente:` settings."""
    return {str(k): str(v) for k, v in (_content(path).get("gemeente") or {}).items()}


def gemeente_slots(path: Path | None = None) -> dict[str, str]:
    """The settings as the Rasa slots that response templates use: {gemeente_naam}, ..."""
    return {f"gemeente_{key}": value for key, value in gemeente_settings(path).items()}


def tijdzone_naam(path: Path | None = None) -> str:
    """The municipality's IANA time zone (`tijdzone:`), Europe/Amsterdam if not set."""
    return str(_content(path).get("tijdzone") or DEFAULT_TIJDZONE)
