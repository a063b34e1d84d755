# Cascade — every workflow a person runs is a target here.
#
#   make run     set up, then start the bundled example node (UI on http://127.0.0.1:8080)
#   make test    set up, lint, then run the whole test suite (unit + integration + browser)
#   make lint    ruff (lint and format) and mypy over the whole tree; needs only the virtual environment
#   make bench   set up, then run the benchmarks and print their figures
#   make demo    set up, then start national → province → city on this machine

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
PY        := $(VENV)/bin/python
PIP       := $(VENV)/bin/pip
BIN       := bin
FERRETDB  := $(BIN)/ferretdb
NODE      ?= deploy/nodes/example.yaml

# Newest Python >= 3.12 we can find: python3.13 on PATH, then pyenv's builds.
PYTHON ?= $(shell for c in python3.13 python3.12 \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3.13 2>/dev/null | sort -V | tail -1) \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python3.12 2>/dev/null | sort -V | tail -1); do \
	  if [ -n "$$c" ] && "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo "$$c"; break; fi; \
	done)

.PHONY: help setup system-packages run lint test test-unit test-integration bench demo docs clean

help:
	@sed -n '2,9p' Makefile

setup: $(VENV)/.installed $(FERRETDB) system-packages

# Debian packages the node renders office documents with (fonts, Pango): installed only when missing.
system-packages: $(VENV)/.installed
	$(PY) deploy/system_packages.py

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "Python >= 3.12 not found (tried python3.13, python3.12, pyenv)"; exit 1; fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[test]"
	@touch $@

# FerretDB v1.24.2 embedded in a small program of ours (see deploy/ferretdb/main.go
# for why not `go install .../cmd/ferretdb`), with the patches in deploy/ferretdb/patches applied
# at build time (deploy/ferretdb/README.md). Built once; rebuilt when the program or a patch changes.
# `patch` is installed when missing (system_packages.py --build, stdlib only: run before the venv exists), and
# without a Go >= 1.24 on PATH build.sh fetches Go's toolchain once into bin/ (deploy/ferretdb/go.sh).
$(FERRETDB): $(wildcard deploy/ferretdb/*.go) deploy/ferretdb/go.mod deploy/ferretdb/go.sum deploy/ferretdb/build.sh \
		deploy/ferretdb/go.sh \
		deploy/ferretdb/patches $(wildcard deploy/ferretdb/patches/*.patch) \
		deploy/ferretdb/patches/modernc-sqlite $(wildcard deploy/ferretdb/patches/modernc-sqlite/*.patch) \
		deploy/ferretdb/patches/modernc-libc $(wildcard deploy/ferretdb/patches/modernc-libc/*.patch)
	$(or $(PYTHON),python3) deploy/system_packages.py --build
	PYTHON=$(or $(PYTHON),python3) deploy/ferretdb/build.sh $(FERRETDB)

run: setup
	$(VENV)/bin/cascade up --config $(NODE)

# The settings are pyproject.toml's ([tool.ruff], [tool.mypy]: what mypy checks, strict for the contracts).
# mypy keeps its cache in .mypy_cache: a run after a change takes seconds.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Two workers: most integration tests wait on servers, so two at a time take about 7 minutes instead of 11.
# Each worker starts its own nats-server and FerretDB (tests/conftest.py); every test has its own node id.
test: setup lint
	$(PY) tests/browser_setup.py
	$(PY) -m pytest -n 2

# No servers: the pure tests and the services' handlers on an in-memory broker and store (tests/handlers).
test-unit: $(VENV)/.installed system-packages
	$(PY) -m pytest -n 2 -m "unit or handlers"

test-integration: setup
	$(PY) -m pytest -n 2 -m integration

# `make bench BENCH=issue_throughput` runs one; `python -m bench <name> -h` shows its options.
bench: setup
	$(PY) -m bench $(BENCH)

demo: setup
	$(VENV)/bin/cascade demo

# The AsyncAPI documents of the services' events and requests, from their wiring (docs/asyncapi/).
docs: $(VENV)/.installed
	$(PY) -m cascade.asyncapi

clean:
	rm -rf var .pytest_cache
