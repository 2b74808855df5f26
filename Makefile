# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: run test lint typecheck fmt synth deploy clean openapi bench bench-backtests

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[dev]'
	# infra/, local/ and functions/ import from the project root.
	echo "$(CURDIR)" > "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/tradewind-root.pth"
	touch $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: $(STAMP)
	$(BIN)/tradewind local $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

synth: $(STAMP) node_modules/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" npx cdk synth -c env=$${ENV:-dev}

deploy: $(STAMP) node_modules/.installed
	PATH="$(CURDIR)/$(BIN):$$PATH" npx cdk deploy --all -c env=$${ENV:-dev}

# Indicator benchmark against pandas-ta and ta (docs/benchmarks.md). pandas-ta declares Python >= 3.12;
# on 3.11 it is installed without its metadata checks, and the benchmark patches its one 3.12-only line.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/pip install --quiet --ignore-requires-python --no-deps pandas-ta==0.4.71b0
	$(BIN)/python benchmarks/indicators.py $(ARGS)

# Peers of the backtest benchmark live in their own venv: never project dependencies (backtesting.py is AGPL).
bench-backtests: $(STAMP)
	test -x .build/bench-venv/bin/python || $(PYTHON) -m venv .build/bench-venv
	.build/bench-venv/bin/pip install --quiet -r benchmarks/peers/requirements.txt
	$(BIN)/python benchmarks/backtests.py $(ARGS)

clean:
	rm -rf $(VENV) cdk.out .build .mypy_cache .ruff_cache .pytest_cache node_modules

openapi: $(STAMP)
	POWERTOOLS_TRACE_DISABLED=true $(BIN)/python -m functions.api.openapi > docs/openapi.json
