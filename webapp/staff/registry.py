"""The model registry: which models exist, which one is live, and the ones before it.

Kept as `registry.json` next to the models (BALIE_MODELS_DIR), written atomically
under a file lock, so the web app, training jobs and the command line can share it,
and so can several web-app instances on one shared models directory: every read looks
at the file itself (a promotion through one instance is what the others serve next),
and a model's ETag is its content's hash, the same on every instance.
`live` is a stack: promoting pushes, rolling back pops; `history` records every change
of the live model with who, when, and whether a beheerder overruled the scores.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class ModelEntry:
    name: str
    path: str
    sha256: str
    size: int
    registered_at: str = field(default_factory=now_iso)
    trained_by: str | None = None
    # Set for models Balie trained: what went in, so the same inputs are not trained twice.
    fingerprint: str | None = None
    base_fingerprint: str | None = None  # the same without staff additions
    heldout: str | None = None  # fingerprint of the held-out split it never saw
    config: str | None = None
    duration: float | None = None  # seconds of `rasa train`
    components: int | None = None  # components Rasa reported, for the next progress bar

    @property
    def file(self) -> Path:
        return Path(self.path)

    @property
    def etag(self) -> str:
        return f'"{self.sha256[:32]}"'

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelEntry:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class RegistryError(ValueError):
    """The message is Dutch, for staff."""


class Registry:
    def __init__(self, models_dir: Path) -> None:
        self.dir = models_dir
        self.file = models_dir / "registry.json"
        self._cache: tuple[bytes, dict[str, Any]] | None = None

    # --- storage -----------------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        # Read every time, not by modification time: two writes within the file
        # system's clock tick, or a network file system's cached attributes, would
        # otherwise keep another process's change hidden. Parsing is what is cached.
        try:
            raw = self.file.read_bytes()
        except FileNotFoundError:
            return {"models": {}, "live": [], "history": []}
        if self._cache and self._cache[0] == raw:
            return self._cache[1]
        data = json.loads(raw.decode("utf-8"))
        self._cache = (raw, data)
        return data

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / ".registry.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _change(self, change: Callable[[dict[str, Any]], Any]) -> Any:
        with self._locked():
            self._cache = None
            data = json.loads(json.dumps(self._read()))  # a private copy to change
            result = change(data)
            tmp = self.file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.file)
            self._cache = None
            return result

    # --- reading -----------------------------------------------------------------------

    def get(self, name: str) -> ModelEntry | None:
        found = self._read()["models"].get(name)
        return ModelEntry.from_dict(found) if found else None

    def entries(self) -> list[ModelEntry]:
        models = [ModelEntry.from_dict(m) for m in self._read()["models"].values()]
        return sorted(models, key=lambda m: m.registered_at, reverse=True)

    def live(self) -> ModelEntry | None:
        stack = self._read()["live"]
        return self.get(stack[-1]) if stack else None

    def previous(self) -> ModelEntry | None:
        stack = self._read()["live"]
        return self.get(stack[-2]) if len(stack) > 1 else None

    def history(self) -> list[dict[str, Any]]:
        return list(reversed(self._read().get("history", [])))

    def by_fingerprint(self, fingerprint: str) -> ModelEntry | None:
        for entry in self.entries():
            if entry.fingerprint == fingerprint and entry.file.exists():
                return entry
        return None

    # --- changing ----------------------------------------------------------------------

    def register(self, path: Path, **meta: Any) -> ModelEntry:
        """Add a model file; the same file again returns its existing entry."""
        path = path.resolve()
        sha = file_sha256(path)

        def change(data: dict[str, Any]) -> ModelEntry:
            for existing in data["models"].values():
                if existing["sha256"] == sha:
                    existing.update({k: v for k, v in meta.items() if v is not None})
                    return ModelEntry.from_dict(existing)
            # Names appear in URLs and headers: keep them to safe characters.
            name = re.sub(r"[^A-Za-z0-9._-]", "-", path.name.removesuffix(".tar.gz"))[:80]
            if name in data["models"]:
                name = f"{name}-{sha[:8]}"
            entry = ModelEntry(name=name, path=str(path), sha256=sha, size=path.stat().st_size)
            for key, value in meta.items():
                setattr(entry, key, value)
            data["models"][name] = asdict(entry)
            return entry

        return self._change(change)

    def set_live(
        self,
        name: str,
        *,
        door: str,
        actie: str = "promoveren",
        overruled: bool = False,
        reden: str | None = None,
        scores: dict[str, Any] | None = None,
    ) -> ModelEntry:
        def change(data: dict[str, Any]) -> ModelEntry:
            if name not in data["models"]:
                raise RegistryError(f"Onbekend model: {name}.")
            if not Path(data["models"][name]["path"]).exists():
                raise RegistryError(f"Het bestand van model {name} bestaat niet meer.")
            stack = data["live"]
            if stack and stack[-1] == name:
                return ModelEntry.from_dict(data["models"][name])
            _log(data, actie, name, stack[-1] if stack else None, door, overruled, reden, scores)
            stack.append(name)
            return ModelEntry.from_dict(data["models"][name])

        return self._change(change)

    def rollback(self, *, door: str) -> ModelEntry:
        """Back to the model that was live before the current one."""

        def change(data: dict[str, Any]) -> ModelEntry:
            stack = data["live"]
            if len(stack) < 2:
                raise RegistryError("Er is geen vorig model om naar terug te gaan.")
            previous = stack[-2]
            if not Path(data["models"][previous]["path"]).exists():
                raise RegistryError(f"Het bestand van het vorige model ({previous}) ontbreekt.")
            _log(data, "terugdraaien", previous, stack.pop(), door, False, None, None)
            return ModelEntry.from_dict(data["models"][previous])

        return self._change(change)

    def prune(self, keep: int) -> list[ModelEntry]:
        """Remove the models beyond the newest `keep`, with their files; never the live
        model or the previous one (what a rollback returns to). Returns those removed."""

        def change(data: dict[str, Any]) -> list[ModelEntry]:
            stack = data["live"]
            protected = set(stack[-2:])
            models = sorted(
                (ModelEntry.from_dict(m) for m in data["models"].values()),
                key=lambda m: m.registered_at,
                reverse=True,
            )
            removed = [m for m in models[keep:] if m.name not in protected]
            gone = {m.name for m in removed}
            for name in gone:
                del data["models"][name]
            # Older live models can no longer be rolled back to: out of the stack.
            data["live"] = [n for n in stack[:-2] if n not in gone] + stack[-2:]
            return removed

        removed: list[ModelEntry] = self._change(change)
        for entry in removed:
            if entry.file.parent == self.dir.resolve():  # only files Balie put there itself
                entry.file.unlink(missing_ok=True)
        return removed


def _log(
    data: dict[str, Any],
    actie: str,
    model: str,
    vorige: str | None,
    door: str,
    overruled: bool,
    reden: str | None,
    scores: dict[str, Any] | None,
) -> None:
    data.setdefault("history", []).append(
        {
            "actie": actie,
            "model": model,
            "vorige": vorige,
            "door": door,
            "tijd": now_iso(),
            "overruled": overruled,
            "reden": reden,
            "scores": scores,
        }
    )
