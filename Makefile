# The two commands of the README: `make run` and `make test`. Everything else helps them.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint typecheck pytest install install-dev system-deps services clean help

help:
	@echo "make run    - set up and serve the hotline on http://$(HOST):$(PORT) (SQLite, jobs in-process)"
	@echo "make test   - set up and run the whole test suite (PostgreSQL, Redis, SQLite)"

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=python3 ...'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when a requirements file changed.
$(VENV)/.installed: requirements.txt $(BIN)/python
	@echo "==> installing runtime requirements into $(VENV)"
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	@echo "==> installing test requirements into $(VENV)"
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian packages the tests use (synthetic voicemails are spoken by espeak-ng).
system-deps:
	@bash scripts/system-deps.sh

run: install
	@echo "==> migrating the database"
	$(FLASK) db upgrade
	$(FLASK) users ensure-admin
	$(FLASK) callflow check
	@bash scripts/run-banner.sh $(HOST) $(PORT)
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile - wsgi:app

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev system-deps
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
