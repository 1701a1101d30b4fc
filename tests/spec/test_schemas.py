"""The input schemas are sound, self-describing and agree with the catalog."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from generator import catalog
from generator.cli import main
from generator.spec.schema_store import INPUT_KINDS, input_schema

MD = input_schema("ModelDeployment")


def _objects(schema: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(schema, dict):
        if schema.get("type") == "object" or "properties" in schema:
            yield path, schema
        for key, value in schema.items():
            yield from _objects(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _objects(value, f"{path}/{index}")


@pytest.mark.parametrize("kind", sorted(INPUT_KINDS))
def test_schema_is_valid_draft_2020_12(kind: str) -> None:
    schema = input_schema(kind)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("kind", sorted(INPUT_KINDS))
def test_every_object_is_closed_and_every_field_described(kind: str) -> None:
    schema = input_schema(kind)
    for path, obj in _objects(schema):
        if "properties" in obj:
            assert obj.get("additionalProperties") is False, path
            for name, prop in obj["properties"].items():
                described = "description" in prop or "$ref" in prop
                assert described, f"{path}/properties/{name} has no description"


def test_every_definition_is_described() -> None:
    for name, definition in MD["$defs"].items():
        assert definition.get("description"), name


def test_accelerator_enum_matches_the_catalog() -> None:
    data = catalog.load()
    enum = MD["$defs"]["accelerator"]["properties"]["type"]["enum"]
    assert sorted(enum) == sorted(["none", *data.gpus, *data.tpus])


def test_dtype_enum_matches_the_catalog() -> None:
    data = catalog.load()
    assert sorted(MD["$defs"]["model"]["properties"]["dtype"]["enum"]) == sorted(data.dtype_bytes)
    for name, engine in data.engines.items():
        assert engine.dtype_args, name
        assert set(engine.dtype_args) <= set(data.dtype_bytes), name


def test_engine_enum_is_the_catalog() -> None:
    enum = MD["$defs"]["server"]["properties"]["engine"]["enum"]
    assert sorted(catalog.load().engines) == sorted(enum)


def test_schema_command_prints_each_kind() -> None:
    runner = CliRunner()
    for kind in INPUT_KINDS:
        result = runner.invoke(main, ["schema", kind])
        assert result.exit_code == 0
        assert json.loads(result.output) == input_schema(kind)
    both = json.loads(runner.invoke(main, ["schema"]).output)
    assert sorted(both) == sorted(INPUT_KINDS)
