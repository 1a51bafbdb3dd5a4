"""The Kubernetes manifests (deploy/k8s) against the code they deploy.

The schemas are checked by scripts/validate-deploy.sh (its own venv); these tests read
the rendered kustomizations with PyYAML (deploy/manifests.py) and check what a schema
cannot know: that Rasa gets every variable its configuration files read, the replica
counts, and that the Ingress publishes exactly the public routes.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from core import ROOT
from core.widget_protocol import RASA_READY_PATH

_spec = importlib.util.spec_from_file_location("deploy_manifests", ROOT / "deploy" / "manifests.py")
assert _spec and _spec.loader
manifests = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = manifests  # dataclasses look their module up
_spec.loader.exec_module(manifests)

BASE = manifests.K8S_DIR / "base"
DEV = manifests.K8S_DIR / "overlays" / "dev"
KUSTOMIZATIONS = [BASE, DEV]
# Routes of the web app that only other pods may use.
INTERNAL_WEB_ROUTES = {"/metrics", "/models/live.tar.gz", "/chat/callback"}
# Paths of the Rasa server, of which only the Telegram webhook is public.
RASA_PATHS = [
    "/",
    "/status",
    "/version",
    "/model",
    "/model/parse",
    "/conversations/abc/tracker",
    "/conversations/abc/trigger_intent",
    "/webhooks/rest/webhook",
    "/webhooks/balie_web/webhook",
    "/webhooks/telegram/webhook",
]
PUBLIC_RASA_PATHS = {"/webhooks/telegram/webhook"}


def rendered(directory: Path) -> list[dict[str, Any]]:
    return manifests.render(directory)


def rasa_container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    deployment = manifests.find(docs, "Deployment", "balie-rasa")
    (container,) = manifests.pod_template(deployment)["spec"]["containers"]
    return container


def placeholders(path: Path) -> set[str]:
    text = "\n".join(
        line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")
    )
    return set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text))


def ingress_paths(docs: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(path, pathType, service) of every Ingress rule."""
    return [
        (p["path"], p["pathType"], p["backend"]["service"]["name"])
        for d in docs
        if d["kind"] == "Ingress"
        for rule in d["spec"]["rules"]
        for p in rule["http"]["paths"]
    ]


def routed_to(docs: list[dict[str, Any]], request_path: str) -> set[str]:
    return {
        svc for path, kind, svc in ingress_paths(docs) if manifests.routes(path, kind, request_path)
    }


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda d: d.name)
def test_every_variable_of_endpoints_and_credentials_reaches_rasa(directory: Path) -> None:
    docs = rendered(directory)
    env = manifests.environment(docs, rasa_container(docs))
    needed = placeholders(ROOT / "endpoints.yml") | placeholders(ROOT / "credentials.yml")
    assert {"BALIE_ACTION_URL", "BALIE_TRACKER_URL", "TELEGRAM_TOKEN"} <= needed
    missing = sorted(needed - env.sources.keys())
    assert not missing, f"the rasa Deployment does not set {missing}"
    # Read by Balie's own plug-ins inside Rasa (lock store, tracker store, widget channel).
    for name in (
        "BALIE_REDIS_URL",
        "BALIE_SECRET_KEY",
        "BALIE_API_TOKEN",
        "BALIE_RASA_TOKEN",
        "BALIE_WEB_CALLBACK_URL",
    ):
        assert name in env.sources, name


def test_rasa_configuration_values() -> None:
    from webapp.staff.endpoints import REDIS_LOCK_STORE
    from webapp.staff.modelserver import PATH

    docs = rendered(DEV)
    env = manifests.environment(docs, rasa_container(docs)).values
    assert env["BALIE_LOCK_STORE"] == REDIS_LOCK_STORE  # two Rasa servers share their locks
    assert env["BALIE_REDIS_URL"].startswith("redis://")
    assert env["BALIE_TRACKER_URL"].startswith("postgresql://")
    assert env["BALIE_MODEL_URL"] == f"http://balie-web:8000{PATH}"
    assert env["BALIE_ACTION_URL"] == "http://balie-actions:5055/webhook"
    assert env["BALIE_WEB_CALLBACK_URL"] == "http://balie-web:8000/chat/callback"
    assert env["BALIE_HOST"] == "0.0.0.0"
    command = rasa_container(docs)["command"]
    assert command[:4] == ["python", "-m", "rasa_plugins.server", "run"]
    assert "--auth-token" not in command  # the wrapper adds BALIE_RASA_TOKEN in-process
    assert "--enable-api" in command
    for option, value in (("--port", "5005"), ("--endpoints", "endpoints.yml")):
        assert command[command.index(option) + 1] == value
    assert (ROOT / command[command.index("--logging-config-file") + 1]).is_file()


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda d: d.name)
def test_two_replicas_each_and_autoscalers_that_keep_them(directory: Path) -> None:
    docs = rendered(directory)
    for name in ("balie-web", "balie-rasa", "balie-actions"):
        assert manifests.find(docs, "Deployment", name)["spec"]["replicas"] == 2, name
        assert manifests.find(docs, "PodDisruptionBudget", name) is not None, name
    for name in ("balie-rasa", "balie-actions"):
        hpa = manifests.find(docs, "HorizontalPodAutoscaler", name)
        assert hpa["spec"]["minReplicas"] == 2
        assert hpa["spec"]["maxReplicas"] > 2
    # The web app has no autoscaler: WebSockets and console trainings live in its pods.
    assert manifests.find(docs, "HorizontalPodAutoscaler", "balie-web") is None


def test_web_replicas_share_one_readwritemany_volume() -> None:
    docs = rendered(BASE)
    claim = manifests.find(docs, "PersistentVolumeClaim", "balie-shared")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    web = manifests.find(docs, "Deployment", "balie-web")
    volumes = manifests.pod_template(web)["spec"]["volumes"]
    assert {"name": "shared", "persistentVolumeClaim": {"claimName": "balie-shared"}} in volumes
    env = manifests.environment(docs, manifests.pod_template(web)["spec"]["containers"][0])
    (mount,) = [
        m["mountPath"]
        for m in manifests.pod_template(web)["spec"]["containers"][0]["volumeMounts"]
        if m["name"] == "shared"
    ]
    for name in ("BALIE_MODELS_DIR", "BALIE_DATA_DIR", "BALIE_STAFF_DATA"):
        assert env.values[name].startswith(mount + "/"), name


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda d: d.name)
def test_ingress_routes_no_metrics_models_or_internal_paths(directory: Path) -> None:
    docs = rendered(directory)
    assert ingress_paths(docs)
    for path in [
        "/metrics",
        "/models/live.tar.gz",
        "/models/",
        "/models",
        "/chat/callback",
        "/webhooks/balie_web/webhook",
    ]:
        assert not routed_to(docs, path), path


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda d: d.name)
def test_rasa_is_public_only_under_webhooks(directory: Path) -> None:
    docs = rendered(directory)
    for path, _, service in ingress_paths(docs):
        if service == "balie-rasa":
            assert path.startswith("/webhooks/"), path
    for path in RASA_PATHS:
        reaches_rasa = "balie-rasa" in routed_to(docs, path)
        assert reaches_rasa == (path in PUBLIC_RASA_PATHS), path
    for service in (d for d in docs if d["kind"] == "Service"):
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", service["metadata"]
    # Inside the cluster only the web app, the action servers (delivery notices), the
    # ingress controller and Prometheus get in.
    policy = manifests.find(docs, "NetworkPolicy", "balie-rasa")
    peers = [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]
    pods = [p["podSelector"]["matchLabels"] for p in peers if "podSelector" in p]
    assert pods == [
        {"app.kubernetes.io/name": "balie", "app.kubernetes.io/component": component}
        for component in ("web", "actions")
    ]
    assert manifests.find(docs, "NetworkPolicy", "balie-default-deny-ingress") is not None


def test_telegram_uses_the_public_webhook() -> None:
    """With a token but no webhook URL Balie would wait for a poller Kubernetes never runs."""
    from rasa_plugins.connectors.telegram_bot import WEBHOOK_PATH

    docs = rendered(BASE)
    env = manifests.environment(docs, rasa_container(docs)).values
    url = env["TELEGRAM_WEBHOOK_URL"]
    assert url.startswith("https://") and url.endswith(WEBHOOK_PATH)
    assert routed_to(docs, WEBHOOK_PATH) == {"balie-rasa"}
    host = url.removeprefix("https://").split("/")[0]
    ingress = manifests.find(docs, "Ingress", "balie")
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == [host]


def test_the_optional_rest_ingress_opens_only_the_rest_channel() -> None:
    docs = manifests.load(BASE / "ingress-rest.yaml")
    assert ingress_paths(docs) == [("/webhooks/rest/webhook", "Exact", "balie-rasa")]


def test_the_optional_zgw_ingress_opens_only_the_notification_callback() -> None:
    from actions.statusnieuws import CALLBACK_PATH

    docs = manifests.load(BASE / "ingress-zgw-notificaties.yaml")
    assert ingress_paths(docs) == [(CALLBACK_PATH, "Exact", "balie-actions")]
    [policy] = [d for d in docs if d["kind"] == "NetworkPolicy"]
    [rule] = policy["spec"]["ingress"]
    assert [f["namespaceSelector"]["matchLabels"] for f in rule["from"]] == [
        {"kubernetes.io/metadata.name": "ingress-nginx"}
    ]


def _canonical_paths(tmp_path: Path) -> set[str]:
    """One concrete request path per route of the web app ({id} -> x)."""
    from webapp.app import create_app
    from webapp.settings import WebSettings

    settings = WebSettings(
        data_dir=tmp_path, models_dir=tmp_path / "models", configured_api_token="test"
    )
    app = create_app(settings)
    paths = set()
    for route in app.router.routes():
        canonical = route.resource.canonical if route.resource else ""
        if route.resource and route.resource.get_info().get("prefix"):
            canonical += "/x"  # a static directory
        paths.add(re.sub(r"\{[^}]+\}", "x", canonical))
    return paths


def test_ingress_publishes_every_web_route_but_the_internal_ones(tmp_path: Path) -> None:
    paths = _canonical_paths(tmp_path)
    assert INTERNAL_WEB_ROUTES <= paths, "the web app's internal routes moved: update the test"
    docs = rendered(BASE)
    unpublished = sorted(p for p in paths - INTERNAL_WEB_ROUTES if not routed_to(docs, p))
    assert not unpublished, f"add these web routes to deploy/k8s/base/ingress.yaml: {unpublished}"
    for path in paths - INTERNAL_WEB_ROUTES:
        assert routed_to(docs, path) == {"balie-web"}, path


def test_probes_use_the_health_endpoints() -> None:
    docs = rendered(BASE)
    expected = {
        "balie-web": "/health",
        "balie-actions": "/health",
        "balie-rasa": RASA_READY_PATH,  # Rasa's /status needs the API token
    }
    for name, path in expected.items():
        (container,) = manifests.pod_template(manifests.find(docs, "Deployment", name))["spec"][
            "containers"
        ]
        assert container["readinessProbe"]["httpGet"]["path"] == path, name


def test_dev_secret_has_every_key_of_the_example() -> None:
    example = manifests.find(
        manifests.load(BASE / "secret.example.yaml"), "Secret", "balie-secrets"
    )
    dev = manifests.find(rendered(DEV), "Secret", "balie-secrets")
    assert manifests.secret_keys(dev) == manifests.secret_keys(example)


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda d: d.name)
def test_references_between_objects_resolve(directory: Path) -> None:
    assert manifests.check(rendered(directory)) == []


def test_every_manifest_names_its_namespace() -> None:
    for path in manifests.manifest_files():
        assert manifests.namespace_errors(manifests.load(path)) == [], path


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda d: d.name)
def test_rasa_and_every_caller_of_its_api_share_the_token(directory: Path) -> None:
    """Rasa's API, the action server and their callers all read BALIE_RASA_TOKEN."""
    docs = rendered(directory)
    for name in ("balie-rasa", "balie-actions", "balie-web"):
        (container,) = manifests.pod_template(manifests.find(docs, "Deployment", name))["spec"][
            "containers"
        ]
        assert "BALIE_RASA_TOKEN" in manifests.environment(docs, container).sources, name


# --- the live chat across several web apps (issue #16) ---------------------------------


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda d: d.name)
def test_the_live_chat_works_across_web_replicas_without_sticky_sessions(
    directory: Path, tmp_path: Path
) -> None:
    """Two web replicas: each gets Redis (the bus that carries a resident's message to the
    replica holding the medewerker's socket); both WebSockets are published with
    timeouts a quiet chat survives; nothing pins a browser to one replica."""
    docs = rendered(directory)
    assert manifests.live_chat_errors(docs) == []
    web = manifests.find(docs, "Deployment", manifests.WEB_DEPLOYMENT)
    assert web["spec"]["replicas"] >= 2
    (container,) = manifests.pod_template(web)["spec"]["containers"]
    env = manifests.environment(docs, container)
    assert env.sources["BALIE_REDIS_URL"] == "Secret balie-secrets"
    assert set(manifests.WEBSOCKET_PATHS) <= _canonical_paths(tmp_path)
    for path in manifests.WEBSOCKET_PATHS:
        assert routed_to(docs, path) == {"balie-web"}, path
    for ingress in (d for d in docs if d["kind"] == "Ingress"):
        annotations = ingress["metadata"].get("annotations") or {}
        assert not [k for k in annotations if "affinity" in k or "sticky" in k], annotations
    service = manifests.find(docs, "Service", "balie-web")
    assert service["spec"].get("sessionAffinity", "None") == "None"


def test_the_deploy_check_refuses_web_replicas_without_redis_or_with_short_timeouts() -> None:
    """`make deploy-check` (deploy/validate.py) runs manifests.check, which includes these."""
    docs = rendered(BASE)
    web = manifests.find(docs, "Deployment", manifests.WEB_DEPLOYMENT)
    (container,) = manifests.pod_template(web)["spec"]["containers"]
    container.setdefault("env", []).append({"name": "BALIE_REDIS_URL", "value": ""})
    ingress = manifests.find(docs, "Ingress", "balie")
    ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"] = "60"
    errors = manifests.check(docs)
    assert any("need BALIE_REDIS_URL" in e for e in errors), errors
    assert any("proxy-read-timeout is 60 s" in e and "/staff/live/ws" in e for e in errors)
    # One replica needs no Redis; an Ingress without the console has no Live page socket.
    web["spec"]["replicas"] = 1
    rules = ingress["spec"]["rules"][0]["http"]
    rules["paths"] = [p for p in rules["paths"] if p["path"] != "/staff"]
    errors = manifests.live_chat_errors(docs)
    assert not any("BALIE_REDIS_URL" in e for e in errors)
    assert "no Ingress publishes the WebSocket /staff/live/ws" in errors
