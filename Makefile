# Two commands for a fresh machine: `make demo` and `make test`. Each makes what it needs.
PYTHON ?= python3
VENV := .venv
SYNAPSE_VENV := .venv-synapse
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYNAPSE_STAMP := $(SYNAPSE_VENV)/.installed
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test check lint types format venv synapse chromium clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# Synapse lives in its own environment: its pins must not fight ours.
$(SYNAPSE_STAMP):
	$(PYTHON) -m venv $(SYNAPSE_VENV)
	$(SYNAPSE_VENV)/bin/pip install --quiet --upgrade pip
	$(SYNAPSE_VENV)/bin/pip install --quiet matrix-synapse
	touch $(SYNAPSE_STAMP)

synapse: $(SYNAPSE_STAMP)

# Debian's chromium for the browser tests (Playwright never downloads a browser here).
chromium:
	@test -x $(CHROMIUM) || { \
		echo "installing Debian chromium"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: venv
	$(BIN)/python -m mypy

# The inner loop: lint, types and the tests that need no Synapse, Chromium or real processes.
check: lint types
	$(BIN)/pytest -q -p no:cacheprovider -m "not synapse and not browser and not slow"

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The whole suite. PostgreSQL instead of SQLite: POMOC_TEST_DATABASE_URL=postgresql://... make test
test: venv synapse chromium lint types
	POMOC_SYNAPSE_PYTHON=$(SYNAPSE_VENV)/bin/python POMOC_CHROMIUM=$(CHROMIUM) \
		$(BIN)/pytest -q -p no:cacheprovider

# The main job on embedded defaults: a local homeserver, SQLite, the help center, the web inbox.
demo: venv synapse
	POMOC_SYNAPSE_PYTHON=$(SYNAPSE_VENV)/bin/python $(BIN)/pomoc demo

clean:
	rm -rf $(VENV) $(SYNAPSE_VENV) var .pytest_cache
