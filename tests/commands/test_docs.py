"""docs/spec-reference.md is generated from the schemas (and examples from specs/): it
must be exactly what `make docs` writes now."""

from __future__ import annotations

from generator.commands import docs
from generator.spec.fields import root, walk
from tests.conftest import ROOT

COMMITTED = ROOT / "docs" / "spec-reference.md"


def test_committed_reference_is_up_to_date() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == docs.generate(ROOT / "specs"), (
        "docs/spec-reference.md is stale: run `make docs` and commit it")


def test_every_schema_field_is_documented() -> None:
    text = COMMITTED.read_text(encoding="utf-8")
    for kind in ("ModelDeployment", "Platform"):
        for _, field in walk(root(kind)):
            assert f".{field.name}`\n" in text or f"### `{field.name}`\n" in text, field.dotted


def test_examples_come_from_the_specs() -> None:
    text = docs.generate(ROOT / "specs")
    assert "### `spec.accelerator.type`" in text
    assert "Example (`specs/" in text


def test_flow_quotes_what_yaml_would_read_differently() -> None:
    assert docs.flow({"a": ["x", "1.33", True, 2]}) == '{a: [x, "1.33", true, 2]}'
    assert docs.flow("yes") == '"yes"'
