#!/usr/bin/env bash
# Validates the Kubernetes manifests (deploy/k8s): every file and every rendered
# kustomization against the strict JSON schemas of Kubernetes 1.30 and the newest
# version kubernetes-validate knows, plus the references between objects
# (deploy/validate.py). CI runs it through `make deploy-check`.
#
# kubernetes-validate needs jsonschema>=4.23 while Rasa pins 4.17, so it lives in a
# venv of its own, .venv-deploy, (re)made whenever deploy/requirements-validate.txt
# changes. No kubectl needed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/tool-venv.sh .venv-deploy deploy/requirements-validate.txt
exec .venv-deploy/bin/python deploy/validate.py "$@"
