"""`make run-cluster`: the production topology on one machine.

PostgreSQL (cases, conversations, the shared outbox), Redis (Rasa's lock store, push
between web-app instances), several Rasa servers, action servers and web-app
instances, and HAProxy in front of each kind. Every process gets its configuration
from environment variables only, exactly as it would in Kubernetes (deploy/).

Addresses: residents and staff use the public front (web app; `/webhooks/` goes to
Rasa). Internally, the web app and the action servers reach Rasa through the Rasa
front, and Rasa reaches the action servers through the actions front, so any replica
can die without anyone holding its address.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bot.settings import LauncherSettings
from bot.supervisor import Service, Supervisor, rasa_argv, run_until_stopped
from core.widget_protocol import RASA_READY_PATH
from rasa_plugins.connectors.telegram_bot import WEBHOOK_PATH
from webapp.staff.endpoints import rasa_env
from webapp.staff.modelserver import PATH as MODEL_PATH

DEFAULT_DATABASE_URL = "postgresql://balie:balie@127.0.0.1:5432/balie"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class Ports:
    """Free ports counted up from `start`, below Linux's ephemeral range (32768 and up):
    a port the kernel hands out for some connection meanwhile would collide with a
    service that binds it a minute later (a Rasa server starts slowly)."""

    def __init__(self, host: str, start: int) -> None:
        self.host, self.next = host, start

    def take(self) -> int:
        while self.next < 32768:
            port, self.next = self.next, self.next + 1
            with socket.socket() as s:
                try:
                    s.bind((self.host, port))
                except OSError:
                    continue
                return port
        raise SystemExit("no free port below 32768 for the cluster; set BALIE_CLUSTER_PORT")


@dataclass(frozen=True)
class Replica:
    kind: str  # "web" | "actions" | "rasa"
    index: int
    port: int
    metrics_port: int = 0  # Rasa's Prometheus listener (the others serve /metrics themselves)

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.index}"


@dataclass(frozen=True)
class Cluster:
    settings: LauncherSettings
    public_port: int
    rasa_front: int
    actions_front: int
    web_front: int
    replicas: tuple[Replica, ...]
    database_url: str
    redis_url: str

    @classmethod
    def plan(
        cls, settings: LauncherSettings, rasa: int = 2, actions: int = 2, web: int = 2
    ) -> Cluster:
        """Sizes from the arguments; BALIE_CLUSTER_PORT (8080; 0 = a free one) for the
        public front; the internal ports are the next free ones after it."""
        host = settings.host
        configured = settings.cluster_port
        ports = Ports(host, configured or random.randrange(20000, 30000, 100))
        port = ports.take()
        if configured and port != configured:
            raise SystemExit(
                f"port {configured} is in use: set BALIE_CLUSTER_PORT to another (0: any free)"
            )
        replicas = [
            Replica(kind, i + 1, ports.take(), ports.take() if kind == "rasa" else 0)
            for kind, count in (("web", web), ("actions", actions), ("rasa", rasa))
            for i in range(count)
        ]
        return cls(
            settings=settings,
            public_port=port,
            rasa_front=ports.take(),
            actions_front=ports.take(),
            web_front=ports.take(),
            replicas=tuple(replicas),
            database_url=settings.configured_database_url or DEFAULT_DATABASE_URL,
            redis_url=settings.redis_url or DEFAULT_REDIS_URL,
        )

    def of(self, kind: str) -> list[Replica]:
        return [r for r in self.replicas if r.kind == kind]

    def url(self, port: int) -> str:
        return f"http://{self.settings.host}:{port}"

    @property
    def public_url(self) -> str:
        return self.url(self.public_port)

    @property
    def rasa_url(self) -> str:
        return self.url(self.rasa_front)

    def env(self) -> dict[str, str]:
        """What every process of the cluster shares: the production configuration."""
        web = self.url(self.web_front)
        return {
            "BALIE_DATABASE_URL": self.database_url,
            "BALIE_OUTBOX_URL": self.database_url,
            "BALIE_REDIS_URL": self.redis_url,
            "BALIE_RASA_URL": self.rasa_url,
            "BALIE_ACTION_URL": f"{self.url(self.actions_front)}/webhook",
            "BALIE_CASE_API_URL": f"{web}/api/v1",
            "BALIE_WEB_CALLBACK_URL": f"{web}/chat/callback",
            "BALIE_MODEL_URL": f"{web}{MODEL_PATH}",
            "BALIE_WIDGET_ORIGINS": self.public_url,
            # HAProxy forwards the client's address (option forwardfor): believe it only
            # from HAProxy itself, on this host.
            "BALIE_TRUSTED_PROXIES": self.settings.host,
            "BALIE_LOG_FORMAT": self.settings.cluster_log_format,
        }


def haproxy_config(cluster: Cluster) -> str:
    """Round robin per request, health-checked; a connection refused by a dead replica
    is retried on another (safe: the request never reached it)."""
    host = cluster.settings.host

    def servers(kind: str, check: str | None) -> str:
        lines = [f"    option httpchk GET {check}"] if check else []
        lines += [
            f"    server {r.name} {host}:{r.port} check inter 1s fall 2 rise 1"
            for r in cluster.of(kind)
        ]
        return "\n".join(lines)

    return f"""# Generated by `python -m bot run-cluster`; see bot/cluster/topology.py.
global
    maxconn 4096
    log stderr format raw local0 info

defaults
    mode http
    log global
    option httplog
    option dontlog-normal
    timeout connect 2s
    timeout client 5m
    timeout server 5m
    # The widget's WebSocket stays open for a whole conversation.
    timeout tunnel 2h
    retries 3
    # A replica killed a moment ago may still accept a connection while the kernel tears
    # it down, then close it unanswered: retried like a refused one. It never ran that
    # turn (Rasa stores a turn's events at its end), and actions' side effects carry
    # idempotency keys. Replaying needs the whole request read first.
    retry-on conn-failure empty-response
    option http-buffer-request
    option redispatch 1
    # The client's address for the web app and Rasa (BALIE_TRUSTED_PROXIES is this host).
    option forwardfor
    # A fresh server connection per request (clients keep theirs): a request sent on a
    # kept connection to a replica that just died fails instead of being retried
    # elsewhere; a new connection is refused, and that is retried (loopback: cheap).
    option http-server-close

frontend public
    bind {host}:{cluster.public_port}
    # Prometheus scrapes each process directly; the model server is for Rasa only.
    http-request deny deny_status 404 if {{ path /metrics }} || {{ path_beg /models/ }}
    use_backend rasa if {{ path_beg /webhooks/ }}
    default_backend web

frontend rasa_internal
    bind {host}:{cluster.rasa_front}
    default_backend rasa

frontend actions_internal
    bind {host}:{cluster.actions_front}
    default_backend actions

frontend web_internal
    bind {host}:{cluster.web_front}
    default_backend web

backend web
    balance roundrobin
{servers("web", "/health")}

backend rasa
    balance roundrobin
    # A TCP check: a Rasa server busy with NLU answers /status late and would be marked
    # down under load; it listens only once its model is loaded, so accepting is enough.
{servers("rasa", None)}

backend actions
    balance roundrobin
{servers("actions", "/health")}
"""


def services(cluster: Cluster, model: Path, log_dir: Path) -> list[Service]:
    py = sys.executable
    config = log_dir / "haproxy.cfg"
    config.write_text(haproxy_config(cluster))
    telegram = cluster.settings.telegram.process_env()
    webs = cluster.of("web")
    started = [
        *(
            Service(
                r.name,
                [py, "-m", "bot", "web"],
                f"{cluster.url(r.port)}/health",
                {"BALIE_WEB_PORT": str(r.port)},
                restart=True,
            )
            for r in webs
        ),
        *(
            Service(
                r.name,
                [py, "-m", "actions"],
                f"{cluster.url(r.port)}/health",
                {"BALIE_ACTION_PORT": str(r.port)},
                restart=True,
            )
            for r in cluster.of("actions")
        ),
        Service(
            "haproxy",
            [haproxy_binary(), "-f", str(config), "-db"],
            f"{cluster.url(cluster.web_front)}/health",
            needs=tuple(r.name for r in webs),
        ),
        *(
            Service(
                r.name,
                rasa_argv(model, cluster.settings.host, r.port, cluster.settings.log_format),
                f"{cluster.url(r.port)}{RASA_READY_PATH}",
                {
                    **telegram,
                    **rasa_env(cluster.settings),
                    "BALIE_RASA_METRICS_PORT": str(r.metrics_port),
                },
                needs=("haproxy",),  # the live model comes from the web app through it
                restart=True,
            )
            for r in cluster.of("rasa")
        ),
    ]
    if cluster.settings.telegram.polling:
        # One poller: Telegram hands each update to one getUpdates consumer only.
        started.append(Service("telegram", [py, "-m", "bot", "telegram-poll"], None, telegram))
    return started


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/sbin/haproxy") if Path(p).exists()), None
    )
    if not found:
        raise SystemExit("HAProxy is not installed: `make run-cluster` installs it (Debian).")
    return found


def ensure_database(url: str) -> None:
    """Create the cluster's PostgreSQL database when it is not there yet (blocking)."""
    target = sa.engine.make_url(url)
    admin = sa.create_engine(
        target.set(drivername="postgresql", database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            ).first()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    except sa.exc.OperationalError as exc:
        raise SystemExit(
            f"PostgreSQL at {target.render_as_string()} is not reachable ({exc.orig}); "
            "`make run-cluster` starts it, or set BALIE_DATABASE_URL."
        ) from None
    finally:
        admin.dispose()


async def ensure_redis(url: str) -> None:
    import redis.asyncio as redis

    client = redis.from_url(url, socket_connect_timeout=3)
    try:
        await client.ping()
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        raise SystemExit(
            f"Redis at {url} is not reachable ({exc}); `make run-cluster` starts it, "
            "or set BALIE_REDIS_URL."
        ) from None
    finally:
        await client.close()


def metrics_url(cluster: Cluster, replica: Replica) -> str:
    return f"{cluster.url(replica.metrics_port or replica.port)}/metrics"


def print_urls(cluster: Cluster, log_dir: Path) -> None:
    public = cluster.public_url
    counts = ", ".join(f"{len(cluster.of(k))} {k}" for k in ("rasa", "actions", "web"))
    replicas = "\n".join(
        f"    {r.name:<10} {cluster.url(r.port)}  (metrics: {metrics_url(cluster, r)})"
        for r in cluster.replicas
    )
    telegram = cluster.settings.telegram
    telegram_line = ""
    if telegram.enabled:
        how = "long polling" if telegram.polling else f"webhook {telegram.webhook_url}"
        telegram_line = f"  Telegram           {how} -> {public}{WEBHOOK_PATH}\n"
    print(
        f"\nBalie cluster is running ({counts}, HAProxy, PostgreSQL, Redis):\n"
        f"  web app            {public}/\n"
        f"  demo page + widget {public}/demo\n"
        f"  chat (REST)        POST {public}/webhooks/rest/webhook\n"
        f"{telegram_line}"
        f"  staff console      {public}/staff/\n"
        f"  case API           {public}/api/v1/openapi.json\n"
        f"  internal fronts    Rasa API {cluster.rasa_url}, actions "
        f"{cluster.url(cluster.actions_front)}, web {cluster.url(cluster.web_front)}\n"
        f"  replicas\n{replicas}\n"
        f"  database           {sa.engine.make_url(cluster.database_url)!r}\n"
        f"  Redis              {cluster.redis_url}\n"
        f"  logs               {log_dir}\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )


async def run(cluster: Cluster, model: Path | None) -> int:
    import asyncio

    from webapp.staff.cli import live_model

    await asyncio.to_thread(ensure_database, cluster.database_url)
    await ensure_redis(cluster.redis_url)
    # This process works with the same configuration as its children (migrations, the
    # model registry, a training job it starts): the cluster's on top of the launcher's.
    os.environ.update(cluster.env())
    settings = LauncherSettings.for_process()
    cluster = Cluster(**{**cluster.__dict__, "settings": settings})
    log_dir = settings.data_dir / "cluster"
    log_dir.mkdir(parents=True, exist_ok=True)
    live = await live_model(settings, model)
    supervisor = Supervisor(
        settings,
        live,
        log_dir,
        started=services(cluster, live, log_dir),
        env=cluster.env(),
        # HAProxy checks every second: ready once it sends turns to a Rasa server.
        ready=(f"{cluster.rasa_url}{RASA_READY_PATH}",),
    )
    print(
        f"Starting the cluster (model {live.name}): "
        + ", ".join(s.name for s in supervisor.services)
        + "...",
        flush=True,
    )

    def started() -> None:
        write_addresses(cluster, supervisor, log_dir / "cluster.json")
        print_urls(cluster, log_dir)

    return await run_until_stopped(supervisor, started)


def write_addresses(cluster: Cluster, supervisor: Supervisor, path: Path) -> None:
    """Where everything listens, for tools (the bench, the tests) rather than people."""
    data = {
        "public": cluster.public_url,
        "fronts": {
            "rasa": cluster.rasa_url,
            "actions": cluster.url(cluster.actions_front),
            "web": cluster.url(cluster.web_front),
        },
        "replicas": {
            r.name: {
                "kind": r.kind,
                "url": cluster.url(r.port),
                "metrics": metrics_url(cluster, r),
                "pid": supervisor.pid(r.name),
            }
            for r in cluster.replicas
        },
        "supervisor_pid": os.getpid(),
        "database_url": cluster.database_url,
        "redis_url": cluster.redis_url,
    }
    path.write_text(json.dumps(data, indent=2))
