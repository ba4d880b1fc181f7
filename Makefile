# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test install install-test migrate seed test-sqlite test-postgres clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/alembic upgrade head

seed: migrate
	$(BIN)/python -m core.seed

## make run: install, migrate, seed the demo (demo mode only, empty database only), serve on :$(PORT)
run: seed
	$(BIN)/python -m streamlit run app.py --server.port $(PORT) --server.address 0.0.0.0 \
		--browser.gatherUsageStats false

## make test: install what tests need (Python packages, Debian's chromium and postgresql), run them all
test: install-test
	bash scripts/system-deps.sh
	bash scripts/test-all.sh

clean:
	rm -rf $(VENV) data test-artifacts
