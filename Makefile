# `make run` sets everything up and runs the system on its embedded default (SQLite).
# `make test` sets everything up and runs the whole test suite. CI (.ci/run) calls `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
RASA_VENV := .venv-rasa
APP_VENV := .venv
PIP_FLAGS := --quiet --disable-pip-version-check --no-input
export RASA_TELEMETRY_ENABLED := false

.PHONY: setup train run test lint clean browser

setup: $(RASA_VENV)/.installed $(APP_VENV)/.installed

# Rasa 3.6 declares Requires-Python <3.11; it runs on 3.11 when installed with --no-deps over an
# explicit lock of its dependencies (see ../shared/design.md and requirements/rasa.in).
$(RASA_VENV)/.installed: requirements/rasa.lock
	$(PYTHON) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install $(PIP_FLAGS) --no-deps -r requirements/rasa.lock
	$(RASA_VENV)/bin/pip install $(PIP_FLAGS) --no-deps --ignore-requires-python rasa==3.6.21 rasa-sdk==3.6.2
	touch $@

$(APP_VENV)/.installed: requirements/handoff.lock
	$(PYTHON) -m venv $(APP_VENV)
	$(APP_VENV)/bin/pip install $(PIP_FLAGS) --no-deps -r requirements/handoff.lock
	touch $@

# The widget and console tests drive Debian's Chromium (Playwright with executablePath).
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser: $(CHROMIUM)
$(CHROMIUM):
	@echo "installing Debian's chromium for the browser tests"
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
	  || { $(SUDO) apt-get update -q >/dev/null && \
	       $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }

# Trains only when data/, config.yml, domain.yml or nlu/ changed since the last model.
train: setup
	$(APP_VENV)/bin/python -m tools.train

run: train
	$(APP_VENV)/bin/python -m tools.stack

lint: setup
	$(APP_VENV)/bin/ruff check .

# REQUIRE_BROWSER: here a missing Chromium fails the browser tests instead of skipping them.
test: train lint browser
	$(RASA_VENV)/bin/python -m pytest tests/bot tests/rasa_runtime
	REQUIRE_BROWSER=1 $(APP_VENV)/bin/python -m pytest tests/handoff tests/e2e

clean:
	rm -rf $(RASA_VENV) $(APP_VENV) var models/*.tar.gz
