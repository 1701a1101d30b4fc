"""The JSON Schemas shipped with infergen: inputs (schemas/*.schema.json) and the custom
resources the output uses (schemas/crds/)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import referencing

INPUT_KINDS = {"Platform": "platform.schema.json",
               "ModelDeployment": "modeldeployment.schema.json"}


def _read(package: str, name: str) -> Any:
    return json.loads(resources.files(package).joinpath(name).read_text(encoding="utf-8"))


@cache
def input_schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = _read("generator.schemas", INPUT_KINDS[kind])
    return schema


@cache
def _input_registry() -> referencing.Registry:
    registry = referencing.Registry()
    for kind, name in INPUT_KINDS.items():
        registry = registry.with_resource(
            name, referencing.Resource.from_contents(input_schema(kind)))
    return registry


@cache
def input_validator(kind: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(input_schema(kind), registry=_input_registry())


def _crd_file(api_version: str, kind: str) -> str:
    group, _, version = api_version.rpartition("/")
    return f"{group or 'core'}_{kind.lower()}_{version}.json"


@cache
def crd_validator(api_version: str, kind: str) -> jsonschema.Draft202012Validator | None:
    """A validator for a custom resource kind, or None when infergen has no schema for it."""
    path = resources.files("generator.schemas.crds").joinpath(_crd_file(api_version, kind))
    if not path.is_file():
        return None
    return jsonschema.Draft202012Validator(json.loads(path.read_text(encoding="utf-8")))
