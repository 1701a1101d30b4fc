"""The fast paths give exactly what the slow ones give: the YAML emitter the same bytes as
PyYAML, the compiled validator the same verdicts."""

from __future__ import annotations

import copy
import functools
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.spec import fast_schema as fast
from generator.spec import yamlio
from generator.spec.schema_store import INPUT_KINDS, input_validator
from generator.verify import kubernetes_api
from tests.conftest import CASES, golden_cases, render_tree
from tests.test_robustness_fuzz import BASES, VALUES, delete_at, paths_into, set_at

TRICKY = ["", " ", "a b", " lead", "trail ", "true", "True", "yes", "no", "on", "off", "null",
          "~", "1", "1.0", "0x1F", "1e3", ".inf", "-", "- x", "a: b", "a #b", "#x", "@x", "`x",
          "'q'", '"q"', "!t", "&a", "*a", "%x", "{x}", "[x]", ",", "?", ":x", "x:", "é ü",
          "tab\there", "2026-01-01", "1:30", "0o17", "+1", "=", "<<", "ok\\path",
          "x" * 200, "https://example.com/a?b=c#d", "multi\nline", "trailing\n", "\u2028"]


def _documents() -> list[Any]:
    scalars: list[Any] = [*TRICKY, 0, -1, 10**20, 0.5, 1e-7, 1e20, True, False, None]
    docs: list[Any] = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"},
                        "data": {str(i): value for i, value in enumerate(scalars)}}]
    docs += [{key: value} for key in TRICKY for value in ("v", {}, [], {"a": [1, {"b": []}]})]
    docs += [{"list": [value, [value, [value]], {"k": value}, {}, []]} for value in scalars]
    docs.append({"z": 1, "spec": {"b": 2, "a": 3}, "kind": "K", "name": "n", "apiVersion": "v"})
    return docs


@pytest.mark.parametrize("index", range(len(_documents())))
def test_the_fast_emitter_writes_pyyamls_bytes(index: int) -> None:
    doc = _documents()[index]
    assert yamlio.dump(doc) == yamlio.dump_pyyaml(doc)


@pytest.mark.parametrize("case", golden_cases())
def test_the_fast_emitter_matches_pyyaml_on_every_golden_object(case: str) -> None:
    tree = render_tree(CASES / case / "specs").tree
    assert tree is not None
    for text in tree.values():
        obj = yamlio.load_plain(text)
        assert yamlio.dump(obj) == yamlio.dump_pyyaml(obj)


@pytest.mark.skipif(not fast.enabled(), reason="jsonschema-rs is not installed")
def test_the_compiled_validator_agrees_with_jsonschema() -> None:
    validator = kubernetes_api.validator("1.33", "apps/v1", "Deployment")
    assert validator is not None
    good = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"selector": {}, "template": {"spec": {"containers": [
                {"name": "c", "image": "i"}]}}}}
    bad = {**good, "spec": {**good["spec"], "replicaz": 1}}
    worse = {**good, "spec": {**good["spec"], "replicas": "three"}}
    for obj in (good, bad, worse):
        assert fast.surely_valid(validator, obj) == validator.is_valid(obj)


@functools.cache
def _input_documents() -> list[tuple[str, Any]]:
    found = []
    for base in BASES:
        for file in sorted(base.rglob("*.yaml")):
            for doc in yaml.safe_load_all(file.read_text(encoding="utf-8")):
                if isinstance(doc, dict) and doc.get("kind") in INPUT_KINDS:
                    found.append((doc["kind"], doc))
    return found


@pytest.mark.skipif(not fast.enabled(), reason="jsonschema-rs is not installed")
def test_every_example_spec_is_valid_to_both_input_validators() -> None:
    for kind, doc in _input_documents():
        validator = input_validator(kind)
        assert fast.surely_valid(validator, doc) and validator.is_valid(doc)


@pytest.mark.skipif(not fast.enabled(), reason="jsonschema-rs is not installed")
@settings(derandomize=True, max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_compiled_input_validator_never_accepts_what_jsonschema_rejects(
        data: st.DataObject) -> None:
    kind, doc = data.draw(st.sampled_from(_input_documents()))
    doc = copy.deepcopy(doc)
    path = data.draw(st.sampled_from(paths_into(doc)))
    if path and data.draw(st.booleans()):
        doc = delete_at(doc, path)
    else:
        doc = set_at(doc, path, data.draw(VALUES))
    validator = input_validator(kind)
    if fast.surely_valid(validator, doc):
        assert validator.is_valid(doc), doc
