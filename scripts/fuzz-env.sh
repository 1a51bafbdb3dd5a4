#!/usr/bin/env bash
# Makes .venv-fuzz with schemathesis (tests/fuzz/requirements.txt), which
# tests/test_api_fuzz.py runs against the Case API's own OpenAPI document. A venv of
# its own, like .venv-deploy: schemathesis brings hypothesis and pytest plugins that
# would load into every run of the main suite. (Re)made when the requirements change.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-fuzz
REQUIREMENTS=tests/fuzz/requirements.txt
STAMP="$VENV/.installed-$(sha1sum "$REQUIREMENTS" | cut -c1-12)"

if [ ! -e "$STAMP" ]; then
    PYTHON=${PYTHON:-$(command -v pyenv >/dev/null && pyenv which python3.10 2>/dev/null \
        || command -v python3.10 || command -v python3)}
    echo "Creating $VENV (schemathesis) with $PYTHON..."
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    echo '*' > "$VENV/.gitignore"  # out of git and out of ruff
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
        -r "$REQUIREMENTS"
    touch "$STAMP"
fi
