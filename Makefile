# The stages of leadtrack. `make demo` and `make test` work on a fresh machine with Python and pip.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
LEADS ?= 2000

.PHONY: setup demo test lint format bench clean

$(UV):
	python3 -m pip install --user --quiet uv || python3 -m pip install --quiet uv

setup: $(UV)
	$(UV) sync --frozen

demo: setup
	$(UV) run leadtrack demo --leads $(LEADS)

test: setup
	$(UV) run pytest -n 2

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run sqlfluff lint models macros tests/dbt

format: setup
	$(UV) run ruff format .
	$(UV) run ruff check --fix .
	$(UV) run sqlfluff fix models macros tests/dbt

bench: setup
	$(UV) run python -m bench.run

clean:
	rm -rf warehouse demo target logs .pytest_cache
