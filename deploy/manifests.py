"""Reading deploy/k8s: YAML files, a small Kustomize renderer, and cross-reference checks.

Only PyYAML is needed, so both scripts/validate-deploy.sh (its own venv, with
kubernetes-validate for the schemas) and tests/test_deploy.py (the main venv) use it.

The renderer understands the part of Kustomize that deploy/k8s uses, and refuses
everything else instead of guessing:

- `resources:` files (one or more YAML documents each) and directories with a
  kustomization.yaml;
- `patches:` entries with only `path:`, a strategic merge patch found by the patch's
  kind and name: mappings merge, lists of named items (containers, env, volumes, ...)
  merge by name, other lists are replaced, `null` deletes a key;
- `images:` with `name`, `newName`, `newTag`;
- `namespace:`.
For these, `kubectl kustomize` should print the same objects (perhaps in another
order); kubectl is not available in CI, so that is by construction, not compared.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

K8S_DIR = Path(__file__).resolve().parent / "k8s"
KUSTOMIZATION = "kustomization.yaml"
SUPPORTED_KEYS = {"apiVersion", "kind", "resources", "patches", "images", "namespace"}
# Lists whose items are merged by their `name` (as Kubernetes' strategic merge does).
NAMED_LISTS = {"containers", "initContainers", "env", "volumes"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume"}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
# Secrets the base uses but does not create: the operator does (keys from the example).
EXTERNAL_SECRETS = {"balie-secrets": K8S_DIR / "base" / "secret.example.yaml"}
# Several web apps behind the Service (docs/instances.md): the widget's and the Live
# page's WebSockets end on any replica, and Redis (BALIE_REDIS_URL) tells the others at
# once. No sticky sessions are needed; without Redis a resident's message would reach a
# medewerker on another replica only with the database poll.
WEB_DEPLOYMENT = "balie-web"
WEBSOCKET_PATHS = ("/chat/ws", "/staff/live/ws")
# ingress-nginx closes a proxied connection that is quiet this long (default 60 s). The
# web app pings every 30 s; a medewerker's or resident's chat lasts longer than a
# minute, so at least a few minutes, or the socket reconnects over and over.
TIMEOUT_ANNOTATIONS = (
    "nginx.ingress.kubernetes.io/proxy-read-timeout",
    "nginx.ingress.kubernetes.io/proxy-send-timeout",
)
MIN_WEBSOCKET_SECONDS = 300


class ManifestError(Exception):
    pass


def load(path: Path) -> list[dict[str, Any]]:
    """The non-empty YAML documents of a file; each must be a Kubernetes object."""
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path}: not valid YAML: {exc}") from None
    for doc in docs:
        if not isinstance(doc, dict) or not {"apiVersion", "kind", "metadata"} <= doc.keys():
            raise ManifestError(f"{path}: a document without apiVersion, kind and metadata")
    return docs


def manifest_files(root: Path = K8S_DIR) -> list[Path]:
    """Every YAML file under root except the kustomization files themselves."""
    files = [*root.rglob("*.yaml"), *root.rglob("*.yml")]
    return sorted(f for f in files if f.name != KUSTOMIZATION)


def kustomizations(root: Path = K8S_DIR) -> list[Path]:
    return sorted(p.parent for p in root.rglob(KUSTOMIZATION))


def name_of(doc: dict[str, Any]) -> str:
    return f"{doc['kind']}/{doc['metadata'].get('name', '?')}"


# --- rendering --------------------------------------------------------------------------


def render(directory: Path) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize directory` would print (see the module docstring)."""
    spec = yaml.safe_load((directory / KUSTOMIZATION).read_text(encoding="utf-8")) or {}
    unsupported = set(spec) - SUPPORTED_KEYS
    if unsupported:
        raise ManifestError(
            f"{directory / KUSTOMIZATION}: {', '.join(sorted(unsupported))} not supported by "
            "deploy/manifests.py; extend it, or write plain manifests and patches"
        )
    docs: list[dict[str, Any]] = []
    for entry in spec.get("resources", []):
        target = (directory / entry).resolve()
        if target.is_dir():
            docs += render(target)
        elif target.is_file():
            docs += [copy.deepcopy(d) for d in load(target)]
        else:
            raise ManifestError(f"{directory / KUSTOMIZATION}: resource {entry} does not exist")
    for patch in spec.get("patches", []):
        if set(patch) != {"path"}:
            raise ManifestError(
                f"{directory / KUSTOMIZATION}: only `- path: file` patches are supported"
            )
        for change in load(directory / patch["path"]):
            target = _find(docs, change)
            if target is None:
                raise ManifestError(
                    f"{directory / patch['path']}: patches {name_of(change)}, "
                    "which the resources do not contain"
                )
            merge(target, change)
    for image in spec.get("images", []):
        if not set(image) <= {"name", "newName", "newTag"}:
            raise ManifestError(
                f"{directory / KUSTOMIZATION}: images support name, newName, newTag"
            )
        _set_image(docs, image)
    if spec.get("namespace"):
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = spec["namespace"]
    seen: set[tuple[str, str, str]] = set()
    for doc in docs:
        key = (doc["kind"], doc["metadata"].get("namespace", ""), doc["metadata"]["name"])
        if key in seen:
            raise ManifestError(f"{directory}: {name_of(doc)} defined twice")
        seen.add(key)
    return docs


def _find(docs: list[dict[str, Any]], change: dict[str, Any]) -> dict[str, Any] | None:
    for doc in docs:
        if doc["kind"] == change["kind"] and doc["metadata"]["name"] == change["metadata"]["name"]:
            return doc
    return None


def merge(target: dict[str, Any], change: dict[str, Any]) -> None:
    """Strategic merge, the part of it deploy/k8s needs (module docstring)."""
    for key, value in change.items():
        current = target.get(key)
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(current, dict):
            merge(current, value)
        elif key in NAMED_LISTS and isinstance(value, list) and isinstance(current, list):
            by_name = {item.get("name"): item for item in current if isinstance(item, dict)}
            for item in value:
                if isinstance(item, dict) and item.get("name") in by_name:
                    merge(by_name[item["name"]], item)
                else:
                    current.append(copy.deepcopy(item))
        else:
            target[key] = copy.deepcopy(value)


def _split_image(image: str) -> tuple[str, str]:
    """('registry/name', ':tag' or '@digest' or '')."""
    if "@" in image:
        name, digest = image.split("@", 1)
        return name, "@" + digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon:]
    return image, ""


def _set_image(docs: list[dict[str, Any]], image: dict[str, Any]) -> None:
    for _, container in containers(docs):
        name, tag = _split_image(container.get("image", ""))
        if name == image["name"]:
            new_tag = f":{image['newTag']}" if "newTag" in image else tag
            container["image"] = image.get("newName", name) + new_tag


# --- reading objects ----------------------------------------------------------------------


def pod_template(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template (metadata and spec) of a workload, else None."""
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]
    if doc["kind"] in WORKLOADS:
        return doc["spec"]["template"]
    return None


def containers(docs: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(workload, container) for every container and init container."""
    for doc in docs:
        template = pod_template(doc)
        if template:
            spec = template["spec"]
            for container in [*spec.get("initContainers", []), *spec.get("containers", [])]:
                yield doc, container


def find(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any] | None:
    return next((d for d in docs if d["kind"] == kind and d["metadata"].get("name") == name), None)


def secret_keys(doc: dict[str, Any]) -> set[str]:
    return set(_data(doc))


def _data(doc: dict[str, Any] | None) -> dict[str, Any]:
    """A Secret's or ConfigMap's keys and values (stringData as given, data undecoded)."""
    return {**((doc or {}).get("data") or {}), **((doc or {}).get("stringData") or {})}


@dataclass
class Environment:
    """What a container's environment is made of: variable -> where it comes from."""

    values: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)


def environment(docs: list[dict[str, Any]], container: dict[str, Any]) -> Environment:
    """The variables a container gets (envFrom, then env), with their values where known.

    A Secret that the rendering lacks is read from its example (EXTERNAL_SECRETS).
    """
    env = Environment()
    for source in container.get("envFrom", []):
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            ref = source["configMapRef"]["name"]
            config = find(docs, "ConfigMap", ref)
            data = (config or {}).get("data") or {}
            origin = f"ConfigMap {ref}"
        else:
            ref = source["secretRef"]["name"]
            secret = find(docs, "Secret", ref) or external_secret(ref)
            data = _data(secret)
            origin = f"Secret {ref}"
        for key, value in data.items():
            env.values[prefix + key] = str(value)
            env.sources[prefix + key] = origin
    for var in container.get("env", []):
        if "value" in var:
            env.values[var["name"]] = str(var["value"])
            env.sources[var["name"]] = "value"
            continue
        ref = var.get("valueFrom", {})
        if "secretKeyRef" in ref:
            name, key = ref["secretKeyRef"]["name"], ref["secretKeyRef"]["key"]
            secret = find(docs, "Secret", name) or external_secret(name)
            data = _data(secret)
            env.values[var["name"]] = str(data.get(key, ""))
            env.sources[var["name"]] = f"Secret {name} key {key}"
        elif "configMapKeyRef" in ref:
            name, key = ref["configMapKeyRef"]["name"], ref["configMapKeyRef"]["key"]
            data = (find(docs, "ConfigMap", name) or {}).get("data") or {}
            env.values[var["name"]] = str(data.get(key, ""))
            env.sources[var["name"]] = f"ConfigMap {name} key {key}"
        else:
            env.sources[var["name"]] = "fieldRef"
    return env


def external_secret(name: str) -> dict[str, Any] | None:
    example = EXTERNAL_SECRETS.get(name)
    return find(load(example), "Secret", name) if example else None


# --- cross-reference checks -----------------------------------------------------------------


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def _selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A LabelSelector (matchLabels, matchExpressions with In/NotIn/Exists/DoesNotExist)."""
    if not _matches(selector.get("matchLabels") or {}, labels):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if (
            (op == "In" and labels.get(key) not in values)
            or (op == "NotIn" and labels.get(key) in values)
            or (op == "Exists" and key not in labels)
            or (op == "DoesNotExist" and key in labels)
        ):
            return False
    return True


def _pods(docs: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(workload, pod template) pairs."""
    return [(d, t) for d in docs if (t := pod_template(d))]


def _port_names(template: dict[str, Any]) -> set[str]:
    return {
        p["name"]
        for c in template["spec"].get("containers", [])
        for p in c.get("ports", [])
        if "name" in p
    }


def namespace_errors(docs: list[dict[str, Any]], namespace: str = "balie") -> list[str]:
    """Every object names its namespace, so each file also works with `kubectl apply -f`."""
    return [
        f"{name_of(doc)}: metadata.namespace must be {namespace!r}"
        for doc in docs
        if doc["kind"] not in CLUSTER_SCOPED and doc["metadata"].get("namespace") != namespace
    ]


def check(docs: list[dict[str, Any]], namespace: str = "balie") -> list[str]:
    """What the schemas cannot see: references between objects that lead nowhere."""
    errors: list[str] = []
    pods = _pods(docs)

    def exists(kind: str, name: str) -> bool:
        return find(docs, kind, name) is not None or (
            kind == "Secret" and external_secret(name) is not None
        )

    errors += namespace_errors(docs, namespace)
    for doc in docs:
        where = name_of(doc)
        if doc["kind"] in {"Deployment", "StatefulSet", "DaemonSet"}:
            selector = doc["spec"]["selector"]
            if not _selector_matches(selector, doc["spec"]["template"]["metadata"]["labels"]):
                errors.append(f"{where}: spec.selector does not match the pod template's labels")
        if doc["kind"] == "StatefulSet" and not exists("Service", doc["spec"]["serviceName"]):
            errors.append(f"{where}: serviceName {doc['spec']['serviceName']} does not exist")

    for name, example in EXTERNAL_SECRETS.items():
        secret = find(docs, "Secret", name)
        expected = secret_keys(external_secret(name) or {})
        if secret is not None and secret_keys(secret) != expected:
            missing = sorted(expected - secret_keys(secret))
            extra = sorted(secret_keys(secret) - expected)
            errors.append(
                f"Secret/{name}: keys differ from {example.name} (missing {missing}, extra {extra})"
            )

    for workload, container in containers(docs):
        where = f"{name_of(workload)} container {container['name']}"
        if not container.get("image"):
            errors.append(f"{where}: no image")
        for source in container.get("envFrom", []):
            kind = "ConfigMap" if "configMapRef" in source else "Secret"
            ref = source.get("configMapRef") or source.get("secretRef") or {}
            if not exists(kind, ref["name"]):
                errors.append(f"{where}: envFrom {kind} {ref['name']} does not exist")
        for var in container.get("env", []):
            ref = var.get("valueFrom", {})
            for kind, key in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                if key not in ref:
                    continue
                name = ref[key]["name"]
                obj = find(docs, kind, name) or (
                    external_secret(name) if kind == "Secret" else None
                )
                keys = secret_keys(obj) if obj else set()
                if obj is None:
                    errors.append(f"{where}: env {var['name']}: {kind} {name} does not exist")
                elif ref[key]["key"] not in keys:
                    errors.append(
                        f"{where}: env {var['name']}: {kind} {name} has no key {ref[key]['key']}"
                    )
        ports = {p.get("name") for p in container.get("ports", [])}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            port = (container.get(probe) or {}).get("httpGet", {}).get("port")
            if isinstance(port, str) and port not in ports:
                errors.append(f"{where}: {probe} uses port {port!r}, which it does not declare")

    for workload, template in pods:
        claims = {t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates", [])}
        mounted = set()
        for volume in template["spec"].get("volumes", []):
            mounted.add(volume["name"])
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim and not exists("PersistentVolumeClaim", claim):
                errors.append(f"{name_of(workload)}: volume claim {claim} does not exist")
        for container in template["spec"].get("containers", []):
            for mount in container.get("volumeMounts", []):
                if mount["name"] not in mounted | claims:
                    errors.append(
                        f"{name_of(workload)}: mounts {mount['name']}, which is no volume"
                    )

    for service in (d for d in docs if d["kind"] == "Service"):
        selector = service["spec"].get("selector") or {}
        matching = [t for _, t in pods if _matches(selector, t["metadata"].get("labels", {}))]
        if selector and not matching:
            errors.append(f"{name_of(service)}: its selector matches no pods")
        for port in service["spec"].get("ports", []):
            target = port.get("targetPort")
            if isinstance(target, str) and not any(target in _port_names(t) for t in matching):
                errors.append(f"{name_of(service)}: targetPort {target!r} is no container port")

    for ingress in (d for d in docs if d["kind"] == "Ingress"):
        for rule in ingress["spec"].get("rules", []):
            for path in rule.get("http", {}).get("paths", []):
                backend = path["backend"]["service"]
                service = find(docs, "Service", backend["name"])
                if service is None:
                    errors.append(f"{name_of(ingress)}: {path['path']} -> missing service")
                    continue
                port = backend["port"]
                names = {p.get("name") for p in service["spec"]["ports"]}
                numbers = {p.get("port") for p in service["spec"]["ports"]}
                if port.get("name", port.get("number")) not in names | numbers:
                    errors.append(f"{name_of(ingress)}: {path['path']} -> unknown port {port}")

    errors += live_chat_errors(docs)

    for hpa in (d for d in docs if d["kind"] == "HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        target = find(docs, ref["kind"], ref["name"])
        if target is None:
            errors.append(f"{name_of(hpa)}: scales {ref['kind']}/{ref['name']}, which is missing")
        elif hpa["spec"].get("minReplicas", 1) > target["spec"].get("replicas", 1):
            errors.append(f"{name_of(hpa)}: minReplicas above the Deployment's replicas")

    for pdb in (d for d in docs if d["kind"] == "PodDisruptionBudget"):
        selector = pdb["spec"]["selector"]
        if not any(_selector_matches(selector, t["metadata"].get("labels", {})) for _, t in pods):
            errors.append(f"{name_of(pdb)}: its selector matches no pods")

    for policy in (d for d in docs if d["kind"] == "NetworkPolicy"):
        selected = [
            t
            for _, t in pods
            if _selector_matches(policy["spec"]["podSelector"], t["metadata"].get("labels", {}))
        ]
        if policy["spec"]["podSelector"] and not selected:
            errors.append(f"{name_of(policy)}: its podSelector matches no pods")
        names = set().union(*(_port_names(t) for t in selected)) if selected else set()
        for rule in policy["spec"].get("ingress", []):
            for port in rule.get("ports", []):
                if isinstance(port.get("port"), str) and port["port"] not in names:
                    errors.append(f"{name_of(policy)}: port {port['port']!r} is on no such pod")
    return errors


def routes(path: str, path_type: str, request_path: str) -> bool:
    """Whether an Ingress path routes a request path (Kubernetes' Exact and Prefix rules)."""
    if path_type == "Exact":
        return request_path == path
    prefix = path.rstrip("/")
    return prefix == "" or request_path == prefix or request_path.startswith(prefix + "/")


def live_chat_errors(docs: list[dict[str, Any]]) -> list[str]:
    """The widget and the live chat across several web apps: Redis for every web
    container when there is more than one replica, and every WebSocket path published by
    an Ingress whose timeouts let a quiet socket live (see WEBSOCKET_PATHS)."""
    errors: list[str] = []
    web = find(docs, "Deployment", WEB_DEPLOYMENT)
    if web is None:
        return errors
    if web["spec"].get("replicas", 1) > 1:
        for container in web["spec"]["template"]["spec"]["containers"]:
            url = environment(docs, container).values.get("BALIE_REDIS_URL", "")
            if not url.startswith(("redis://", "rediss://")):
                errors.append(
                    f"{name_of(web)} container {container['name']}: {web['spec']['replicas']} "
                    "replicas need BALIE_REDIS_URL (redis://...) for the widget and live chat"
                )
    ingresses = [d for d in docs if d["kind"] == "Ingress"]
    for request_path in WEBSOCKET_PATHS:
        found = [
            ingress
            for ingress in ingresses
            for rule in ingress["spec"].get("rules", [])
            for path in rule.get("http", {}).get("paths", [])
            if path["backend"]["service"]["name"] == WEB_DEPLOYMENT
            and routes(path["path"], path["pathType"], request_path)
        ]
        if ingresses and not found:
            errors.append(f"no Ingress publishes the WebSocket {request_path}")
        for ingress in found:
            annotations = ingress["metadata"].get("annotations") or {}
            for key in TIMEOUT_ANNOTATIONS:
                value = str(annotations.get(key, "60"))
                if not value.isdigit() or int(value) < MIN_WEBSOCKET_SECONDS:
                    errors.append(
                        f"{name_of(ingress)}: {key} is {value} s; the WebSocket "
                        f"{request_path} needs at least {MIN_WEBSOCKET_SECONDS} s"
                    )
    return errors
