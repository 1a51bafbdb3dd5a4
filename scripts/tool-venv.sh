#!/usr/bin/env bash
# Usage: scripts/tool-venv.sh VENV REQUIREMENTS
# Makes VENV, a venv of its own for a tool whose dependencies clash with Rasa's or
# should stay out of its venv, from a fully pinned REQUIREMENTS file (installed with
# --no-deps, no network beyond PyPI). (Re)made whenever REQUIREMENTS changes.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=$1
REQUIREMENTS=$2
STAMP="$VENV/.installed-$(sha1sum "$REQUIREMENTS" | cut -c1-12)"

if [ ! -e "$STAMP" ]; then
    # The same interpreter as the main venv when there is one (Makefile: PYTHON310).
    PYTHON=${PYTHON:-$(command -v pyenv >/dev/null && pyenv which python3.10 2>/dev/null \
        || command -v python3.10 || command -v python3)}
    echo "Creating $VENV from $REQUIREMENTS with $PYTHON..."
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    # Keep the venv out of git and out of ruff (which follows .gitignore files).
    echo '*' > "$VENV/.gitignore"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
        -r "$REQUIREMENTS"
    touch "$STAMP"
fi
