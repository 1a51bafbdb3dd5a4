"""Validate deploy/k8s: `python deploy/validate.py` (scripts/validate-deploy.sh runs it).

1. Every YAML file under deploy/k8s (kustomization.yaml files aside) is read on its
   own, so each can also be applied or read alone.
2. Every kustomization (the base and each overlay) is rendered (deploy/manifests.py).
3. Every object, alone and rendered, is validated against the JSON schemas of the
   oldest and newest Kubernetes versions in VERSIONS, strictly: an unknown field, a
   wrong type, a missing required field or an unknown kind/apiVersion is an error.
4. References between rendered objects are checked (manifests.check): Services,
   Ingress backends, ConfigMaps, Secrets and their keys, volumes, ports, selectors.

Exit status 0 when all is well, 1 with one line per problem otherwise.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from pathlib import Path
from typing import Any

from kubernetes_validate import utils

sys.path.insert(0, str(Path(__file__).resolve().parent))
import manifests  # deploy/ is no package: imported from the path set above

# The oldest Kubernetes Balie's manifests target, and the newest the schemas know.
OLDEST = "1.30"
ROOT = Path(__file__).resolve().parent.parent

# Every validate() call reads the (1.2 MB) definitions again; read each file once.
utils.schema_contents = functools.lru_cache(maxsize=None)(utils.schema_contents)


def versions() -> list[str]:
    newest = utils.major_minor(utils.latest_version())
    return [OLDEST] if newest == OLDEST else [OLDEST, newest]


def schema_errors(doc: dict[str, Any], version: str) -> list[str]:
    try:
        utils.validate(doc, version, strict=True)
    except utils.ValidationError as exc:
        path = ".".join(str(p) for p in exc.path) or "(top level)"
        return [f"{path}: {exc.message}"]
    except utils.SchemaNotFoundError as exc:
        return [exc.message]
    except utils.VersionNotSupportedError:
        return [f"kubernetes-validate has no schemas for Kubernetes {version}"]
    return []


def main() -> int:
    started = time.monotonic()
    errors: list[str] = []
    checked: set[str] = set()  # documents validated already (as JSON)
    reported: set[tuple[str, str]] = set()  # (object, problem): each once, where first seen
    vers = versions()

    def validate(doc: dict[str, Any], where: str) -> None:
        key = json.dumps(doc, sort_keys=True)
        if key in checked:
            return
        checked.add(key)
        for version in vers:
            for problem in schema_errors(doc, version):
                if (manifests.name_of(doc), problem) not in reported:
                    reported.add((manifests.name_of(doc), problem))
                    errors.append(
                        f"{where}: {manifests.name_of(doc)}: {problem} (Kubernetes {version})"
                    )

    files = manifests.manifest_files()
    count = 0
    for path in files:
        rel = path.relative_to(ROOT)
        try:
            docs = manifests.load(path)
        except manifests.ManifestError as exc:
            errors.append(str(exc))
            continue
        if not docs:
            errors.append(f"{rel}: no Kubernetes object in it")
        for doc in docs:
            count += 1
            validate(doc, str(rel))
        errors += [f"{rel}: {e}" for e in manifests.namespace_errors(docs)]

    rendered = []
    for directory in manifests.kustomizations():
        rel = directory.relative_to(ROOT)
        try:
            docs = manifests.render(directory)
        except manifests.ManifestError as exc:
            errors.append(str(exc))
            continue
        rendered.append(f"{rel} ({len(docs)} objects)")
        for doc in docs:
            validate(doc, f"{rel} (rendered)")
        errors += [f"{rel} (rendered): {e}" for e in manifests.check(docs)]

    if errors:
        print(f"deploy/k8s: {len(errors)} problem(s):", file=sys.stderr)
        for error in errors:
            print(f"  {error}", file=sys.stderr)
        return 1
    print(
        f"deploy/k8s is valid: {len(files)} files with {count} objects, rendered "
        f"{', '.join(rendered)}; strict schemas of Kubernetes {' and '.join(vers)} "
        f"({time.monotonic() - started:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
