# The two set-up commands of the README, and the pieces they are made of.
#   make demo   creates .venv, installs Maillon, runs the demo and serves the console
#   make test   creates .venv if needed, installs, runs every check and test on SQLite, then
#               the tests that use a database again on a throwaway PostgreSQL server it
#               starts (and stops) itself
# Tests run on PYTEST_WORKERS processes (pytest-xdist; default 2, 0 runs them in this process);
# tests marked xdist_group("name") run one after another on one worker. PYTEST_ARGS is passed
# last, e.g. PYTEST_ARGS="-k routing" or PYTEST_ARGS="-n 0 -x".
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

.PHONY: demo test install lint services test-sqlite test-postgres serve clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Maillon needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/maillon demo

serve: $(STAMP)
	$(BIN)/maillon serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

services:
	scripts/install_test_services.sh

test-sqlite: $(STAMP) services
	$(PYTEST) $(PYTEST_ARGS)

test-postgres: $(STAMP) services
	url=$$(scripts/pg_test_server.sh start) || exit 1; \
	MAILLON_TEST_DATABASE_URL="$$url" $(PYTEST) $(PYTEST_ARGS); rc=$$?; \
	scripts/pg_test_server.sh stop; exit $$rc

test: lint test-sqlite test-postgres

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
