# Mewo Tag Lab: `make run` (the app on the demo catalogue) and `make test` (lint + all tests).
# Both create .venv inside the checkout on first use; only Python 3.11 is needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast lint demo bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	$(BIN)/python serve.py

test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

test-fast: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not slow and not browser"

lint: $(VENV)/.dev
	$(BIN)/ruff check .

demo: $(VENV)/.runtime
	$(BIN)/python -m mewo_core demo-data --out data/demo
	$(BIN)/python -m mewo_core evaluate --data data/demo --model baseline

bench: $(VENV)/.dev
	for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done
