# mlperimeter: `make demo` rolls the perimeter out over the local emulator;
# `make test` runs every suite against an emulator of its own.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.requirements-installed
ORACLE_STAMP := tests/oracle/node_modules/.package-lock.json
EMULATOR_PORT := $(or $(MLPERIMETER_EMULATOR_PORT),4566)
EMULATORCTL := $(BIN)/python tests/emulator/emulatorctl.py
PLAYBOOK := $(BIN)/ansible-playbook
COLLECTION := collections/ansible_collections/mlperimeter/aws
CHROMIUM := /usr/bin/chromium

export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help demo test lint unit integration runbooks molecule bench emulator-start emulator-stop clean

help:
	@echo "make demo            roll the perimeter out over inventories/local in the emulator, verify it and leave it running"
	@echo "make test            lint, unit, integration and molecule suites against an emulator of their own"
	@echo "make lint            ruff, ansible-lint (production profile) and ansible-doc on every module"
	@echo "make runbooks        only the runbooks' test: every runbook's commands against an emulator of their own"
	@echo "make bench           benchmarks (not part of make test); BENCH_ACCOUNTS=<n>[,<n>...] runs those sizes of the ladder,"
	@echo "                     BENCH_KEEP=1 keeps the other sizes' rows, BENCH_LINEAR=0 skips the rerun with the linear strategy"
	@echo "make emulator-start  serve the emulator on 127.0.0.1:$(EMULATOR_PORT) (MLPERIMETER_EMULATOR_PORT)"
	@echo "make emulator-stop   stop it"

# The virtualenv is rebuilt whenever requirements.txt is newer than it.
$(VENV_STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# The policy decision oracle used by the attack-matrix tests (a test tool only).
$(ORACLE_STAMP): tests/oracle/package-lock.json
	npm ci --prefix tests/oracle --no-audit --no-fund --loglevel=error

emulator-start: $(VENV_STAMP)
	@$(EMULATORCTL) start --port $(EMULATOR_PORT)

emulator-stop: $(VENV_STAMP)
	@$(EMULATORCTL) stop

demo: $(VENV_STAMP) emulator-start
	MLPERIMETER_EMULATOR_URL=http://127.0.0.1:$(EMULATOR_PORT) $(PLAYBOOK) -i inventories/local playbooks/site.yml
	MLPERIMETER_EMULATOR_URL=http://127.0.0.1:$(EMULATOR_PORT) $(PLAYBOOK) -i inventories/local playbooks/verify.yml
	@echo
	@echo "The evidence report: $$(ls -1d $(CURDIR)/reports/2*/ | tail -n 1)evidence.html (and evidence.json, evidence.md)"
	@echo "The emulator is still running on http://127.0.0.1:$(EMULATOR_PORT); inspect any account with, e.g.:"
	@echo "  $(BIN)/python tests/emulator/call.py 222222222222 ec2 describe_vpcs"
	@echo "  AWS_ACCESS_KEY_ID=local-operator AWS_SECRET_ACCESS_KEY=local-operator aws --endpoint-url http://127.0.0.1:$(EMULATOR_PORT) \\"
	@echo "    sts assume-role --role-arn arn:aws:iam::222222222222:role/mlperimeter-deploy --role-session-name me"
	@echo "Stop it with: make emulator-stop"

test: $(VENV_STAMP) $(ORACLE_STAMP)
	$(MAKE) --no-print-directory lint
	$(EMULATORCTL) run -- $(MAKE) --no-print-directory unit integration molecule

unit: $(VENV_STAMP)
	$(BIN)/pytest -q tests/unit

# The HTML evidence report's test opens it in headless Chromium (Debian's package, installed as root).
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get install -y --no-install-recommends chromium || \
		{ apt-get update && apt-get install -y --no-install-recommends chromium; }; \
	else \
		echo "$(CHROMIUM) is missing and only root can install it (apt-get install -y --no-install-recommends chromium);" \
		     "the HTML report's browser test will be skipped"; \
	fi

integration: $(VENV_STAMP) $(ORACLE_STAMP) $(CHROMIUM)
	$(BIN)/pytest -q -n 2 --dist loadfile --durations=30 tests/integration

runbooks: $(VENV_STAMP)
	$(EMULATORCTL) run -- $(BIN)/pytest -q tests/integration/test_runbooks.py

molecule: $(VENV_STAMP)
	$(BIN)/molecule test --all

lint: $(VENV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ansible-lint
	@set -e; for module in $(COLLECTION)/plugins/modules/*.py; do \
		[ -e "$$module" ] || continue; \
		name=mlperimeter.aws.$$(basename $$module .py); \
		$(BIN)/ansible-doc -t module $$name > /dev/null || { echo "ansible-doc cannot render $$name"; exit 1; }; \
	done; echo "ansible-doc renders every module"
	@set -e; for plugin in $(COLLECTION)/plugins/inventory/*.py; do \
		[ -e "$$plugin" ] || continue; \
		name=mlperimeter.aws.$$(basename $$plugin .py); \
		$(BIN)/ansible-doc -t inventory $$name > /dev/null || { echo "ansible-doc cannot render $$name"; exit 1; }; \
	done; echo "ansible-doc renders every inventory plugin"
	@set -e; for plugin in $(COLLECTION)/plugins/strategy/*.py; do \
		name=mlperimeter.aws.$$(basename $$plugin .py); \
		$(BIN)/ansible-doc -t strategy $$name > /dev/null || { echo "ansible-doc cannot render $$name"; exit 1; }; \
	done; echo "ansible-doc renders every strategy plugin"

bench: $(VENV_STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) tests/oracle/node_modules .emulator reports
