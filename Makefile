# `make run` sets everything up and runs the system on its embedded default (SQLite).
# `make test` sets everything up and runs the whole test suite. CI (.ci/run) calls `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
RASA_VENV := .venv-rasa
APP_VENV := .venv
PIP_FLAGS := --quiet --disable-pip-version-check --no-input
export RASA_TELEMETRY_ENABLED := false

.PHONY: setup train report run run-scaled test lint clean browser haproxy lock audit

setup: $(RASA_VENV)/.installed $(APP_VENV)/.installed

# Rasa 3.6 declares Requires-Python <3.11; it runs on 3.11 when installed with --no-deps over an
# explicit lock of its dependencies (docs/rasa-on-python-3.11.md, requirements/rasa.in).
# Every lock carries hashes, so pip installs exactly the files CI tested.
$(RASA_VENV)/.installed: requirements/rasa.lock requirements/rasa-core.lock
	$(PYTHON) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install $(PIP_FLAGS) --no-deps -r requirements/rasa.lock
	$(RASA_VENV)/bin/pip install $(PIP_FLAGS) --no-deps --ignore-requires-python -r requirements/rasa-core.lock
	touch $@

# The service and its test tools; a service image installs requirements/handoff.lock alone.
$(APP_VENV)/.installed: requirements/dev.lock
	$(PYTHON) -m venv $(APP_VENV)
	$(APP_VENV)/bin/pip install $(PIP_FLAGS) --no-deps -r requirements/dev.lock
	touch $@

# Rewrites the locks from the .in files with hashes, keeping the versions they already pin (delete
# a line of a lock to let that package move). Needs the package index; uses uv in var/uv.
UV := var/uv/bin/uv
COMPILE := $(UV) pip compile --quiet --generate-hashes --no-annotate --no-header
lock:
	test -x $(UV) || { $(PYTHON) -m venv var/uv && var/uv/bin/pip install $(PIP_FLAGS) uv; }
	$(COMPILE) --python-version 3.11 -c requirements/handoff.lock requirements/handoff.in \
	  -o var/handoff.lock
	$(COMPILE) --python-version 3.11 -c var/handoff.lock -c requirements/dev.lock requirements/dev.in \
	  -o var/dev.lock
	$(COMPILE) --python-version 3.11 --no-deps requirements/rasa.lock -o var/rasa.lock
	$(COMPILE) --python-version 3.10 --no-deps requirements/rasa-core.lock -o var/rasa-core.lock
	for name in handoff dev rasa rasa-core; do \
	  grep '^#' requirements/$$name.lock | cat - var/$$name.lock > var/$$name.new \
	  && mv var/$$name.new requirements/$$name.lock; done

# Known advisories in every lock (docs/operators/advisories.md: those known, and what contains
# each). pip-audit (in var/audit) reads PyPI's advisory data; where that cannot be reached (as on
# these machines) it fails with its error instead of passing (--strict), so it is not part of
# `make test`.
AUDIT := var/audit/bin/pip-audit
audit:
	test -x $(AUDIT) || { $(PYTHON) -m venv var/audit && var/audit/bin/pip install $(PIP_FLAGS) pip-audit; }
	status=0; for lock in requirements/*.lock; do echo "== pip-audit $$lock"; \
	  timeout 600 $(AUDIT) --strict --disable-pip --no-deps --progress-spinner off --timeout 20 \
	    -r $$lock || status=1; done; exit $$status

# A Debian package, as root or through sudo; the package lists are updated if it is not found.
apt_install = $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(1) >/dev/null \
  || { $(SUDO) apt-get update -q >/dev/null && \
       $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(1) >/dev/null; }

# The widget and console tests drive Debian's Chromium (Playwright with executablePath).
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser: $(CHROMIUM)
$(CHROMIUM):
	@echo "installing Debian's chromium for the browser tests"
	$(call apt_install,chromium)

# The scale-out profile's balancer (deploy/haproxy.cfg): Debian's HAProxy.
HAPROXY := /usr/sbin/haproxy
haproxy: $(HAPROXY)
$(HAPROXY):
	@echo "installing Debian's haproxy for the scale-out profile"
	$(call apt_install,haproxy)

# Trains only when data/, config.yml, domain.yml or nlu/ changed since the last model.
train: setup
	$(APP_VENV)/bin/python -m tools.train

# The model of the current data against the previous one, on the held-out set, as HTML.
report: train
	PYTHONPATH=. $(RASA_VENV)/bin/python -m tools.report

run: train
	$(APP_VENV)/bin/python -m tools.stack

# Two replicas of every tier behind HAProxy, on PostgreSQL, Redis and RabbitMQ (tools/scaled.py).
run-scaled: train haproxy
	$(APP_VENV)/bin/python -m tools.scaled

lint: setup
	$(APP_VENV)/bin/ruff check .

# REQUIRE_BROWSER: here a missing Chromium fails the browser tests instead of skipping them.
test: train lint browser haproxy
	$(RASA_VENV)/bin/python -m pytest tests/bot tests/rasa_runtime
	REQUIRE_BROWSER=1 $(APP_VENV)/bin/python -m pytest tests/repo tests/bench tests/handoff tests/e2e tests/security

clean:
	rm -rf $(RASA_VENV) $(APP_VENV) var models/*.tar.gz
