"""One typed settings object per process, read from the environment in one place.

The tree is scanned (AST): only core/settings.py reads the environment; other code may
pass the whole environment on to a child process, nothing more. A process's settings are
built in its entry point and passed down, so `for_process()` (or `from_env()`) is
called only there. And the
settings themselves: defaults that just work, a bad value stops the start with a
ConfigError naming the variable.
"""

from __future__ import annotations

import ast
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from actions.settings import ActionSettings
from core import ROOT
from core.settings import ConfigError, Env, Settings
from rasa_plugins.settings import PluginSettings
from webapp.settings import WebSettings

PACKAGES = ("core", "rasa_plugins", "actions", "webapp", "bot", "bench")
READER = "core/settings.py"
BUILDERS = ("from_env", "for_process")
# Where a process starts: the only places that build its settings from the environment.
ENTRY_POINTS = {
    "actions/__main__.py",  # the action server
    "rasa_plugins/settings.py",  # the Rasa server: plug-ins are built by Rasa itself
    "webapp/staff/worker.py",  # a training or evaluation job
    "bot/cli.py",  # python -m bot: run, web, telegram-poll, purge, ... (one per command)
    "bot/cluster/topology.py",  # run-cluster: the cluster's configuration over the launcher's
    "bench/__main__.py",  # python -m bench
}


def _modules() -> list[tuple[str, ast.Module]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found.append((path.relative_to(ROOT).as_posix(), ast.parse(path.read_text())))
    return found


def _is_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr in ("environ", "getenv", "environb")
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _passed_through(tree: ast.Module) -> set[int]:
    """`{**os.environ, ...}` and `dict(os.environ)`: the whole environment for a child;
    `os.environ.setdefault/update(...)`: what this process hands its children."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("setdefault", "update"):
            ids.add(id(node.value))
        if isinstance(node, ast.Dict):
            ids |= {id(v) for k, v in zip(node.keys, node.values, strict=True) if k is None}
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "dict" and len(node.args) == 1:
                ids.add(id(node.args[0]))
    return ids


def test_only_core_settings_reads_the_environment() -> None:
    readers = []
    for name, tree in _modules():
        if name == READER:
            continue
        through = _passed_through(tree)
        for node in ast.walk(tree):
            if _is_environ(node) and id(node) not in through:
                readers.append(f"{name}:{node.lineno}")
    assert readers == [], "read settings through core.settings.Env, in the process's settings"


def test_settings_are_built_in_entry_points_only() -> None:
    builders = []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if func in BUILDERS and name not in ENTRY_POINTS and name != READER:
                builders.append(f"{name}:{node.lineno}")
            if func == "Env" and name != READER:
                builders.append(f"{name}:{node.lineno} Env()")
    assert builders == [], "build settings once in the entry point and pass them down"


@pytest.mark.parametrize("kind", [Settings, WebSettings, ActionSettings, PluginSettings])
def test_defaults_just_work(kind: type[Settings], tmp_path: Path) -> None:
    settings = kind.from_env({"BALIE_DATA_DIR": str(tmp_path)})
    assert settings.web_url == "http://127.0.0.1:8000"
    assert settings.database_url == f"sqlite:///{tmp_path / 'balie.sqlite'}"
    assert settings.api_token() == settings.api_token()  # made once, kept in the data dir
    assert (tmp_path / "api-token").stat().st_mode & 0o777 == 0o600
    with pytest.raises(FrozenInstanceError):
        settings.host = "0.0.0.0"  # type: ignore[misc]  # the point: it cannot change


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BALIE_WEB_PORT", "achtduizend"),
        ("BALIE_RASA_PORT", "0"),
        ("BALIE_TRUSTED_PROXIES", "10.0.0.0/33"),
        ("BALIE_RETENTION_CONTACT_DAYS", "-1"),
        ("BALIE_METRICS_REQUIRE_TOKEN", "misschien"),
        ("BALIE_BACKEND", "excel"),
        ("BALIE_CHAT_POLL_SECONDS", "snel"),
        ("BALIE_REST_CHANNEL", "misschien"),
        ("BALIE_RASA_METRICS_PORT", "negen"),
    ],
)
def test_a_bad_value_stops_the_start_naming_the_variable(name: str, value: str) -> None:
    kinds = (WebSettings, ActionSettings, PluginSettings)
    refused = []
    for kind in kinds:
        try:
            kind.from_env({name: value})
        except ConfigError as exc:
            assert name in str(exc)
            refused.append(kind)
    assert refused, f"no process refused {name}={value!r}"


def test_empty_means_the_default_and_values_are_typed() -> None:
    env = Env({"BALIE_WEB_PORT": " ", "BALIE_X": "2,5", "BALIE_Y": "Ja", "BALIE_Z": "a, b,,"})
    assert env.integer("BALIE_WEB_PORT", 8000) == 8000
    assert env.number("BALIE_X", 1.0) == 2.5
    assert env.flag("BALIE_Y") is True
    assert env.items("BALIE_Z") == ("a", "b")
    settings = Settings.from_env({"BALIE_RASA_URL": "http://lb:5005/", "BALIE_LOG_FORMAT": "xml"})
    assert settings.rasa_url == "http://lb:5005"
    assert settings.log_format == "text"  # unknown: logs still come, as text


def test_the_readme_lists_every_variable() -> None:
    """Every `env.<read>("NAME")` in the tree has a row in README.md's configuration."""
    readme = (ROOT / "README.md").read_text()
    names = set()
    for _, tree in _modules():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "env"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names.add(node.args[0].value)
    assert len(names) > 40
    assert sorted(n for n in names if f"`{n}`" not in readme) == []
