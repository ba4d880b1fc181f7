# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
# Where `make run` listens: this machine only, unless told (`make run HOST=0.0.0.0` for a network).
HOST ?= 127.0.0.1
# Exact versions, with hashes, compiled from pyproject.toml's ranges by `make lock`.
LOCK := requirements.lock
TEST_LOCK := requirements-test.lock
UV := uv>=0.9,<1

.PHONY: run test bench install install-test lock migrate seed clean i18n

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(BIN)/uv: | $(BIN)/python
	$(BIN)/python -m pip install --quiet '$(UV)'

# Install exactly what the lock pins, with hashes; again whenever the lock or pyproject.toml changes.
# uv installs it (pip only installs uv into the new venv): on a clean clone, pip took ~100 s wall and
# 45 CPU-s for the two locks on this 2-core machine, uv ~24 s and 13 (the same packages and versions).
# check_lock.py stops here, naming the dependency, if pyproject.toml asks for what the lock lacks.
$(VENV)/.installed: $(LOCK) pyproject.toml scripts/check_lock.py | $(BIN)/uv
	$(BIN)/python scripts/check_lock.py $(LOCK)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r $(LOCK)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(TEST_LOCK) $(VENV)/.installed | $(BIN)/uv
	$(BIN)/python scripts/check_lock.py $(TEST_LOCK) test
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r $(TEST_LOCK)
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## make lock: pin every dependency again from pyproject.toml (keeps current pins where they still fit;
## `make lock UPGRADE=1` takes the newest versions the ranges allow). Commit both lock files.
lock: | $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes --quiet \
		$(if $(UPGRADE),--upgrade) -o $(LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra test --constraint $(LOCK) --universal --python-version 3.11 \
		--generate-hashes --quiet $(if $(UPGRADE),--upgrade) -o $(TEST_LOCK)

## make i18n: extract every string marked _() / ngettext() / N_() into locale/messages.pot, merge it into
## the Spanish catalogue (new strings arrive untranslated, changed ones are not guessed), and compile
## locale/es/LC_MESSAGES/messages.mo. The .mo is committed (a clean checkout needs no build step):
## translate what tests/unit/test_i18n.py reports in messages.po, run `make i18n`, commit all three.
i18n: install
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --omit-header --width 110 \
		-k _ -k N_ -k F_ -k ngettext:1,2 -o locale/messages.pot .
	$(BIN)/pybabel update -i locale/messages.pot -d locale -l es --no-fuzzy-matching --ignore-obsolete --width 110
	$(BIN)/pybabel compile -d locale -l es --statistics

migrate: install
	$(BIN)/alembic upgrade head

seed: migrate
	$(BIN)/python -m core.seed

## make run: install, migrate, seed the demo (demo mode only, empty database only), run the daily job
## once (missed check-ins; schedule `python -m core.alerts` daily in a deployment), serve on $(HOST):$(PORT)
## (127.0.0.1 by default: the demo accounts share one published password, so no one else should reach them),
## with the notification worker (python -m core.notify) beside the app; stopping the app stops it too.
run: seed
	$(BIN)/python -m core.alerts
	$(BIN)/python -m core.notify & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python -m streamlit run app.py --server.port $(PORT) --server.address $(HOST) \
		--browser.gatherUsageStats false

## make test: install what tests need (Python packages, Debian's chromium and postgresql), run them all
test: install-test
	bash scripts/system-deps.sh
	bash scripts/test-all.sh

## make bench: one table of figures for issue #22 (no assertions); BENCH_QUICK=1 skips the 20,000 clinic.
## Generated clinics are cached in .bench-cache/ (the same day, a second run skips generating them).
bench: install-test
	bash scripts/system-deps.sh
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) data test-artifacts .bench-cache
