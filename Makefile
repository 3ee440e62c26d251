# The two front-door commands (see README): `make demo` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo test lint unit bench clean

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "setu needs Python 3.11 or newer")'
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $(STAMP)

## setup: create .venv and install setu with its development tools
setup: $(STAMP)

## demo: set up, ingest the packaged sample feed and print the maritime picture
demo: setup
	$(BIN)/setu demo

## lint: ruff (lint + format check) and mypy
lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

## test: set up, start a throwaway PostgreSQL, run lint and every test tier
test: setup lint
	set -e; source .ci/postgres.sh; $(BIN)/pytest -n 2 --dist loadgroup

## unit: the fast tier only
unit: setup
	$(BIN)/pytest -m "not realdata and not e2e and not slow and not postgres"

## bench: the benchmarks (not part of the test suite)
bench: setup
	$(BIN)/python benchmarks/decode.py
	$(BIN)/python benchmarks/ingest_tcp.py
	$(BIN)/python benchmarks/events.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
