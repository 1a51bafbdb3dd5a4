"""The municipality's own settings (name, phone, opening hours, website, time zone).

The file is re-read when it changes. Which file: `Settings.content_file`, given once
by the process's entry point (`use`); content/gemeente.yml until then.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from core import ROOT

DEFAULT_CONTENT_FILE = ROOT / "content" / "gemeente.yml"
DEFAULT_TIJDZONE = "Europe/Amsterdam"

_cache: dict[Path, tuple[float, dict[str, Any]]] = {}
_configured = [DEFAULT_CONTENT_FILE]


def use(path: Path) -> None:
    """The content file of this process (BALIE_CONTENT_FILE), set by its entry point."""
    _configured[0] = path


def content_file() -> Path:
    return _configured[0]


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


def kcc_settings(path: Path | None = None) -> dict[str, Any]:
    """The `kcc:` settings: the KCC's hours (core/kcc.py)."""
    kcc = _content(path).get("kcc")
    return kcc if isinstance(kcc, dict) else {}


def tijdzone_naam(path: Path | None = None) -> str:
    """The municipality's IANA time zone (`tijdzone:`), Europe/Amsterdam if not set."""
    return str(_content(path).get("tijdzone") or DEFAULT_TIJDZONE)
