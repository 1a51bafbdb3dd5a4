#!/usr/bin/env bash
# Validates the Kubernetes manifests (deploy/k8s): every file and every rendered
# kustomization against the strict JSON schemas of Kubernetes 1.30 and the newest
# version kubernetes-validate knows, plus the references between objects
# (deploy/validate.py). CI runs it through `make deploy-check`.
#
# kubernetes-validate needs jsonschema>=4.23 while Rasa pins 4.17, so it lives in a
# venv of its own, .venv-deploy, (re)made whenever deploy/requirements-validate.txt
# changes. No network beyond PyPI for that one install; no kubectl needed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-deploy
REQUIREMENTS=deploy/requirements-validate.txt
STAMP="$VENV/.installed-$(sha1sum "$REQUIREMENTS" | cut -c1-12)"

if [ ! -e "$STAMP" ]; then
    # The same interpreter as the main venv when there is one (Makefile: PYTHON310).
    PYTHON=${PYTHON:-$(command -v pyenv >/dev/null && pyenv which python3.10 2>/dev/null \
        || command -v python3.10 || command -v python3)}
    echo "Creating $VENV (kubernetes-validate) with $PYTHON..."
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    # Keep the venv out of git and out of ruff (which follows .gitignore files).
    echo '*' > "$VENV/.gitignore"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
        -r "$REQUIREMENTS"
    touch "$STAMP"
fi

exec "$VENV/bin/python" deploy/validate.py "$@"
