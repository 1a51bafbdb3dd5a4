"""`python -m bot run` starts all three services and leaves nothing behind when stopped."""

from __future__ import annotations

import signal
import socket

import psutil
import pytest
import requests

from tests.conftest import RunningStack, TrainedModel, make_settings

pytestmark = pytest.mark.stack


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def test_run_starts_everything_and_ctrl_c_stops_it(test_model: TrainedModel, tmp_path) -> None:
    settings = make_settings(tmp_path)
    stack = RunningStack(settings, test_model.path)
    stack.wait_ready()
    children = _descendants(stack.process.pid)
    assert len(children) >= 3
    status = requests.get(f"{settings.rasa_url}/status", headers=settings.rasa_auth(), timeout=5)
    assert status.json()["model_file"]
    assert requests.get(f"{settings.action_url}/health", timeout=5).ok
    health = requests.get(f"{settings.web_url}/health", timeout=5)
    assert health.json() == {"status": "ok", "service": "web"}
    page = requests.get(f"{settings.web_url}/", timeout=5)
    assert page.text.count("niet bereikbaar") == 0 and page.text.count("bereikbaar") == 3
    output = stack.log.read_text()
    assert settings.web_url in output and f"{settings.rasa_url}/webhooks/rest/webhook" in output

    assert stack.stop() == 0  # SIGINT, as Ctrl-C sends it
    _gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    for port in (settings.rasa_port, settings.action_port, settings.web_port):
        assert not _port_in_use(port)


def test_a_service_that_dies_stops_the_others(test_model: TrainedModel, tmp_path) -> None:
    settings = make_settings(tmp_path)
    stack = RunningStack(settings, test_model.path)
    stack.wait_ready()
    children = _descendants(stack.process.pid)
    action_server = next(p for p in children if p.cmdline()[1:3] == ["-m", "actions"])
    action_server.send_signal(signal.SIGKILL)
    assert stack.process.wait(60) == 1
    _gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    assert "actions stopped unexpectedly" in stack.log.read_text()
