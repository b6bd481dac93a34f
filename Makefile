# The stages of leadtrack. `make demo` and `make test` work on a fresh machine with Python and pip.
SHELL := /bin/bash
# uv from PATH, else as a module of the Python that pip installs it into.
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
LEADS ?= 2000
# sqlfluff's dbt templater opens the warehouse: a throwaway one, so that linting works on a
# fresh clone (no warehouse/ yet) and never opens yours.
SQLFLUFF = tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT \
	&& LEADTRACK_WAREHOUSE="$$tmp/lint.duckdb" $(UV) run sqlfluff

.PHONY: setup demo test lint format bench clean

# Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set (as on CI), every process
# would otherwise compile dbt's, DuckDB's and polars' Python from source, about 2 s of every
# `leadtrack` command. On the command line, not as uv's `compile-bytecode` setting: with that
# setting every `uv run` compiles the whole environment again (1 to 3 s; astral-sh/uv#12202).
setup:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --compile-bytecode

demo: setup
	$(UV) run leadtrack demo --leads $(LEADS)

test: setup
	$(UV) run pytest -n 2

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(SQLFLUFF) lint models macros tests/dbt

format: setup
	$(UV) run ruff format .
	$(UV) run ruff check --fix .
	$(SQLFLUFF) fix models macros tests/dbt

bench: setup
	$(UV) run python -m bench.run

clean:
	rm -rf warehouse demo target logs .pytest_cache
