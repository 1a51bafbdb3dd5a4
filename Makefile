# Balie: `make run` starts everything, `make test` runs the whole test suite.
# The Makefile only prepares the environment; `python -m bot` does the work.
SHELL := /bin/bash
# No telemetry or crash reports to Rasa's servers: Balie only talks to its own services.
export RASA_TELEMETRY_ENABLED := false
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt constraints.txt pyproject.toml | sha1sum | cut -c1-12)
# Rasa 3.6 needs Python 3.10: pyenv's 3.10.13 (.python-version) or any python3.10 on PATH.
PYTHON310 := $(shell command -v pyenv >/dev/null && pyenv which python3.10 2>/dev/null || command -v python3.10)

.PHONY: install services cluster-services browser run run-cluster test deploy-check fuzz-env bench profile soak converse lint train readability compare-pipelines lock clean

install: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@test -n "$(PYTHON310)" || { echo "Python 3.10 is required (pyenv install 3.10.13)"; exit 1; }
	test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<24.1"
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*; touch $@

run: install
	$(PY) -m bot run

# Tests use a real PostgreSQL next to SQLite, and the cluster's Redis and HAProxy:
# start (or install from Debian) what is absent. The embedded default needs none of it.
services: cluster-services

cluster-services:
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-redis.sh
	@command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y haproxy; }

# Production topology on one machine: PostgreSQL, Redis, 2 Rasa, 2 action servers,
# 2 web apps behind HAProxy (docs/cluster.md).
run-cluster: install cluster-services
	$(PY) -m bot run-cluster

# The widget's browser tests: Debian's chromium (driven by Playwright) and axe-core from npm.
AXE := tests/axe/node_modules/axe-core/axe.min.js
browser: $(AXE)
	@test -x /usr/bin/chromium || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

$(AXE): tests/axe/package.json tests/axe/package-lock.json
	@command -v npm >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y npm; }
	npm ci --prefix tests/axe --no-audit --no-fund
	touch $@

# The Kubernetes manifests (deploy/) against the API schemas, in a venv of their own
# (kubernetes-validate needs a newer jsonschema than Rasa allows).
deploy-check:
	bash scripts/validate-deploy.sh

# schemathesis for tests/test_api_fuzz.py, in a venv of its own: it brings hypothesis
# and pytest plugins that would load into every run of the main suite.
fuzz-env:
	bash scripts/tool-venv.sh .venv-fuzz tests/fuzz/requirements.txt

test: install services browser deploy-check fuzz-env
	$(PY) -m ruff check .
	PYTHONPATH=. $(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest -ra

# Balie against the stock `rasa init` bot (ratios and issue #15's goals, docs/performance.md),
# then one Rasa server against two in the cluster (docs/cluster.md).
bench: install cluster-services
	$(PY) -m bench
	$(PY) -m bench --profile cluster
	$(PY) -m bench.insight

# A py-spy flame graph of Balie's Rasa server under 16 residents' FAQ turns, in results/.
profile: install
	$(PY) -m bench --profile flame --databases sqlite

# Not in CI: 2 Rasa servers, 50 residents, 10 minutes; fails unless zero errors, zero lost
# cases, no restarts and flat memory (docs/cluster.md, "Load and soak").
soak: install cluster-services
	$(PY) -m bench --profile soak

# The conversation suite (tests/conversations/) over REST against a real stack with the
# test model: prints the success rate and every failed conversation (docs/nlu.md).
converse: install
	PYTHONPATH=. $(PY) -m pytest tests/test_conversation_suite.py -q -s -p no:cacheprovider

train: install
	$(PY) -m bot train

# B1: Flesch–Douma, sentence and answer lengths of every resident text, against the limits.
readability: install
	$(PY) -m bot.readability

compare-pipelines: install
	$(PY) -m bot compare-pipelines

lint: install
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

# Re-pin every package after changing requirements.txt.
lock:
	$(PY) -m pip install --quiet -r requirements.txt
	(echo "# Lock file: every package Balie installs, pinned. Regenerate with 'make lock'."; \
	 $(PY) -m pip freeze --exclude-editable) > constraints.txt

clean:
	rm -rf $(VENV) .venv-deploy .venv-fuzz models .rasa results .pytest_cache .ruff_cache
