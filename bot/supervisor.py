"""Starts the Rasa server, the action server and the web app, and stops them cleanly."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bot.settings import LauncherSettings
from core import ROOT
from core.observability.logs import rasa_logging_args
from core.privacy.permissions import secure_process
from core.widget_protocol import RASA_READY_PATH
from rasa_plugins.connectors.telegram_bot import WEBHOOK_PATH
from webapp.cases.migrate import migrate
from webapp.staff.cli import live_model
from webapp.staff.endpoints import rasa_env

log = logging.getLogger(__name__)

STOP_TIMEOUT = 20.0


def _die_with_parent() -> None:
    """Runs in the child: ask Linux to SIGTERM it when the supervisor dies, even by SIGKILL."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    os.setsid()  # own process group: a Ctrl-C reaches the supervisor, which stops children in order


@dataclass
class Service:
    name: str
    argv: list[str]
    health_url: str | None  # None: nothing to ask, running is enough
    env: dict[str, str] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = None
    needs: tuple[str, ...] = ()  # services that must answer before this one starts
    # A replica of several: when it dies, start it again instead of stopping everything.
    restart: bool = False
    log_name: str = ""  # default: the service's name

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None


def rasa_argv(model: Path, host: str, port: int, log_format: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "rasa_plugins.server",  # `rasa run` with the API token (BALIE_RASA_TOKEN)
        "run",
        "--enable-api",
        "--model",
        str(model),
        "--interface",
        host,
        "--port",
        str(port),
        "--endpoints",
        "endpoints.yml",
        "--credentials",
        "credentials.yml",
        *rasa_logging_args(log_format),  # JSON lines like every Balie process, when so configured
    ]


def services(settings: LauncherSettings, model: Path) -> list[Service]:
    py = sys.executable
    telegram = settings.telegram.process_env()  # credentials.yml reads these: Rasa needs them
    env = {"BALIE_ACTION_URL": f"{settings.action_url}/webhook", **telegram, **rasa_env(settings)}
    started = [
        Service(
            "actions",
            [py, "-m", "actions"],
            f"{settings.action_url}/health",
        ),
        Service(
            "web",
            [py, "-m", "bot", "web"],
            f"{settings.web_url}/health",
        ),
        Service(
            "rasa",
            rasa_argv(model, settings.host, settings.rasa_port, settings.log_format),
            f"{settings.rasa_url}{RASA_READY_PATH}",  # 200 only once the model is loaded
            env,
            # Rasa pulls the live model from the web app (endpoints.yml `models:`) at start.
            needs=("web",),
        ),
    ]
    if settings.telegram.polling:
        # No public URL: fetch updates and hand them to Rasa's webhook, same secret.
        started.append(Service("telegram", [py, "-m", "bot", "telegram-poll"], None, telegram))
    return started


class Supervisor:
    """Keeps a set of services running; one failing stops them all, unless it is a
    replica (`restart`), which is started again."""

    def __init__(
        self,
        settings: LauncherSettings,
        model: Path,
        log_dir: Path | None = None,
        *,
        started: list[Service] | None = None,
        env: dict[str, str] | None = None,
        ready: tuple[str, ...] = (),
    ) -> None:
        self.settings = settings
        self.model = model
        self.services = started if started is not None else services(settings, model)
        self.log_dir = log_dir or settings.data_dir / "logs"
        self.extra_env = env or {}
        # URLs that must answer too before the whole is ready (a load balancer's view).
        self.ready = ready
        self.env: dict[str, str] = {}

    def pid(self, name: str) -> int | None:
        return next((s.pid for s in self.services if s.name == name), None)

    async def start(self) -> None:
        # The services inherit the umask (Rasa too); what an older version left is tightened.
        secure_process(self.settings.data_dir, self.settings.models_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # Migrate once here, before any service touches the database.
        await asyncio.to_thread(migrate, self.settings.database_url)
        # The web app serves the live model to Rasa: make sure it is this one.
        await live_model(self.settings, self.model)
        self.env = {
            **os.environ,
            "BALIE_API_TOKEN": self.settings.api_token(),
            # One token for Rasa's API and the action server, shared by every process.
            "BALIE_RASA_TOKEN": self.settings.rasa_token(),
            "BALIE_DATA_DIR": str(self.settings.data_dir),
            "BALIE_MODELS_DIR": str(self.settings.models_dir),
            "BALIE_HOST": self.settings.host,
            "BALIE_RASA_PORT": str(self.settings.rasa_port),
            "BALIE_ACTION_PORT": str(self.settings.action_port),
            "BALIE_WEB_PORT": str(self.settings.web_port),
            "PYTHONUNBUFFERED": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            **self.extra_env,
        }
        try:
            for service in self.services:
                await self._wait_healthy([s for s in self.services if s.name in service.needs])
                await self._spawn(service)
            await self._wait_healthy()
            await self._wait_healthy([Service(url, [], url) for url in self.ready])
        except BaseException:
            await self.stop()
            raise

    async def _spawn(self, service: Service) -> None:
        with open(self.log_dir / f"{service.log_name or service.name}.log", "ab") as out:
            service.process = await asyncio.create_subprocess_exec(
                *service.argv,
                cwd=ROOT,
                env={**self.env, **service.env},
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )

    async def watch(self) -> str:
        """Start replicas again when they die; return the name of any other service that exits."""
        while True:
            name = await self.wait()
            service = next(s for s in self.services if s.name == name)
            if not service.restart:
                return name
            code = service.process.returncode if service.process else None
            log.warning("%s exited with code %s; starting it again", name, code)
            await asyncio.sleep(1.0)
            await self._spawn(service)

    async def _wait_healthy(self, services: list[Service] | None = None) -> None:
        loop = asyncio.get_running_loop()
        timeout = self.settings.startup_timeout
        deadline = loop.time() + timeout
        pending = [s for s in (self.services if services is None else services) if s.health_url]
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            while pending:
                for service in list(pending):
                    if service.process and service.process.returncode is not None:
                        raise RuntimeError(
                            f"{service.name} exited with code {service.process.returncode}; "
                            f"see {self.log_dir / (service.name + '.log')}"
                        )
                    try:
                        async with http.get(str(service.health_url)) as resp:
                            if resp.status == 200:
                                pending.remove(service)
                    except (aiohttp.ClientError, asyncio.TimeoutError):
                        pass
                if loop.time() > deadline:
                    names = ", ".join(s.name for s in pending)
                    raise TimeoutError(
                        f"not ready after {timeout:.0f}s: {names}; see {self.log_dir}"
                    )
                if pending:
                    await asyncio.sleep(0.5)

    async def wait(self) -> str:
        """Wait until any service exits; return its name."""
        waits = {
            asyncio.ensure_future(s.process.wait()): s.name for s in self.services if s.process
        }
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in waits:
            if task not in done:
                task.cancel()
        return waits[next(iter(done))]

    async def stop(self) -> None:
        """SIGTERM every service's process group, then SIGKILL what is left."""
        running = [
            (s.name, s.process)
            for s in reversed(self.services)
            if s.process and s.process.returncode is None
        ]
        for _, process in running:
            _signal_group(process.pid, signal.SIGTERM)
        for name, process in running:
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except asyncio.TimeoutError:
                log.warning("%s did not stop in %.0fs; killing it", name, STOP_TIMEOUT)
                _signal_group(process.pid, signal.SIGKILL)
                await process.wait()


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def print_urls(settings: LauncherSettings) -> None:
    telegram, telegram_line = settings.telegram, ""
    if telegram.enabled:
        how = "long polling" if telegram.polling else f"webhook {telegram.webhook_url}"
        telegram_line = f"  Telegram           {how} -> {settings.rasa_url}{WEBHOOK_PATH}\n"
    print(
        "\nBalie is running:\n"
        f"  web app            {settings.web_url}/\n"
        f"  demo page + widget {settings.web_url}/demo\n"
        f"  chat (REST)        POST {settings.rasa_url}/webhooks/rest/webhook\n"
        f"  Rasa server (API)  {settings.rasa_url}/ "
        f"(a JWT signed with BALIE_RASA_TOKEN or {settings.data_dir / 'rasa-token'})\n"
        f"  action server      {settings.action_url}/health\n"
        f"{telegram_line}"
        f"  staff console      {settings.web_url}/staff/ (accounts: python -m bot create-user)\n"
        f"  case API           {settings.web_url}/api/v1/openapi.json "
        f"(token: BALIE_API_TOKEN or {settings.data_dir / 'api-token'})\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )


async def run(settings: LauncherSettings, model: Path) -> int:
    """Start everything, print the URLs, run until Ctrl-C/SIGTERM or a service dies."""
    print(f"Starting Rasa server, action server and web app (model {model.name})...", flush=True)
    return await run_until_stopped(Supervisor(settings, model), lambda: print_urls(settings))


async def run_until_stopped(supervisor: Supervisor, started: Callable[[], None]) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await supervisor.start()
    started()
    stopped = asyncio.ensure_future(stop.wait())
    died = asyncio.ensure_future(supervisor.watch())
    await asyncio.wait({stopped, died}, return_when=asyncio.FIRST_COMPLETED)
    code = 0
    if died.done():
        print(f"{died.result()} stopped unexpectedly; stopping the others.", file=sys.stderr)
        code = 1
    else:
        died.cancel()
    print("Stopping...", flush=True)
    await supervisor.stop()
    return code
