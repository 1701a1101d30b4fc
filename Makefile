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

.PHONY: render check test lint typecheck docs bench clean engine-facts engine-cli-check engine-facts-maxtext

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

# Regenerate the engines' option tables (generator/catalog/contracts/*-flags.yaml and
# vllm-removed.yaml) from their own parsers. Needs what CI has not: throwaway venvs with the
# pinned releases (ENGINES/<name>-<version>, see tools/engine_flags.py and the README), git
# mirrors of the pinned tags (MIRRORS/<owner>+<name>/repo) and older vLLM releases' sources
# (ENGINES/vllm-history). Its output is committed; CI never runs it.
ENGINES ?= /tmp/engines
MIRRORS ?= /work/.mirror
engine-facts: $(STAMP)
	$(BIN)/python -m tools.engine_flags --engine vllm --python $(ENGINES)/vllm-0.34.0/bin/python --history $(ENGINES)/vllm-history
	$(BIN)/python -m tools.engine_flags --engine vllm-tpu --python $(ENGINES)/vllm-tpu-0.32.0/bin/python
	$(BIN)/python -m tools.engine_flags --engine sglang --python $(ENGINES)/sglang-0.5.23/bin/python
	$(BIN)/python -m tools.engine_flags --engine tgi --git-dir $(MIRRORS)/huggingface+text-generation-inference/repo
	$(BIN)/python -m tools.engine_flags --engine tei --git-dir $(MIRRORS)/huggingface+text-embeddings-inference/repo
	$(BIN)/python -m tools.engine_flags --engine triton --git-dir $(MIRRORS)/triton-inference-server+server/repo
	$(BIN)/python -m tools.engine_flags --engine jetstream --git-dir $(MIRRORS)/AI-Hypercomputer+jetstream-pytorch/repo --absl-python $(ENGINES)/absl-py/bin/python

# infergen's reading of server.args against the real vLLM and SGLang parsers (the venvs above):
# every option alone, with a value and with `=1`, plus tricky lists; prints the agreement.
engine-cli-check: $(STAMP)
	$(BIN)/python -m tools.engine_cli_check --engine vllm --python $(ENGINES)/vllm-0.34.0/bin/python
	$(BIN)/python -m tools.engine_cli_check --engine sglang --python $(ENGINES)/sglang-0.5.23/bin/python

# MaxText's keys for jetstream-maxtext, from a clone of AI-Hypercomputer/maxtext holding the
# pinned tag (tools/maxtext_config.py SOURCE): make engine-facts-maxtext MAXTEXT_GIT=path/.git
engine-facts-maxtext: $(STAMP)
	$(BIN)/python -m tools.maxtext_config --git-dir $(MAXTEXT_GIT)
