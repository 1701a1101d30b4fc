# Two commands for a newcomer: `make render` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov
# keyed on the pinned version: a clone builds its own, a version bump rebuilds it
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)

.PHONY: render check test lint typecheck docs bench clean engine-facts engine-facts-maxtext

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

render: $(STAMP)  ## compile specs/ into rendered/
	$(BIN)/infergen render --specs specs --out rendered

check: $(STAMP)  ## fail when rendered/ is not what specs/ produce
	$(BIN)/infergen render --specs specs --out rendered --check

# checkov (security checks in the tests) lives in a venv of its own: never a runtime
# dependency, and its pins never fight infergen's
$(CHECKOV_STAMP):
	rm -rf $(CHECKOV_VENV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $(CHECKOV_STAMP)

test: $(TEST_STAMP) $(CHECKOV_STAMP)  ## unit, golden and end-to-end tests (needs kubectl)
	INFERGEN_CHECKOV=$(CHECKOV) $(BIN)/python -m pytest

docs: $(STAMP)  ## regenerate docs/spec-reference.md from the schemas (a test checks it)
	$(BIN)/python -m generator.commands.docs --specs specs --out docs/spec-reference.md

bench: $(STAMP)  ## fleet-scale benchmark (100, 1,000 and 10,000 specs) -> bench/results.json
	$(BIN)/python -m bench.run --repeat 3

lint: $(TEST_STAMP)
	$(BIN)/ruff check generator tests bench tools

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) bench/results.json build *.egg-info .pytest_cache .mypy_cache .ruff_cache

# Regenerate the Python engines' flag lists (generator/catalog/contracts/*-flags.yaml) from
# their pinned releases on PyPI. Needs the network; its output is committed and CI never
# runs it. TGI, TEI and JetStream: `python -m tools.engine_flags --engine tgi --git-dir CLONE`.
engine-facts: $(STAMP)
	$(BIN)/python -m tools.engine_flags --engine vllm --engine vllm-tpu --engine sglang

# MaxText's keys for jetstream-maxtext, from a clone of AI-Hypercomputer/maxtext holding the
# pinned tag (tools/maxtext_config.py SOURCE): make engine-facts-maxtext MAXTEXT_GIT=path/.git
engine-facts-maxtext: $(STAMP)
	$(BIN)/python -m tools.maxtext_config --git-dir $(MAXTEXT_GIT)
