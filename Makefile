# Two commands for a newcomer: `make render` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: render check test lint typecheck docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

render: $(STAMP)  ## compile specs/ into rendered/
	$(BIN)/infergen render --specs specs --out rendered

check: $(STAMP)  ## fail when rendered/ is not what specs/ produce
	$(BIN)/infergen render --specs specs --out rendered --check

test: $(STAMP)  ## unit, golden and end-to-end tests (needs kubectl)
	$(BIN)/python -m pytest

docs: $(STAMP)  ## regenerate docs/spec-reference.md from the schemas (a test checks it)
	$(BIN)/python -m generator.docs --specs specs --out docs/spec-reference.md

lint: $(STAMP)
	$(BIN)/ruff check generator tests

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
