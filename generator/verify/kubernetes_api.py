"""Built-in kinds against the Kubernetes API of the Platform's version, with the strict
schemas kubernetes-validate ships.

kubernetes-validate's own `validate()` re-reads a 1.8 MB definitions file on every call;
here each (version, kind) validator is built once from the same files and reused.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import jsonschema
import referencing


def _schema_root() -> Traversable:
    return resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")


@cache
def bundled_versions() -> tuple[tuple[int, int], ...]:
    found = set()
    for entry in _schema_root().iterdir():
        match = re.fullmatch(r"v(\d+)\.(\d+)\.0-local-strict", entry.name)
        if match:
            found.add((int(match[1]), int(match[2])))
    return tuple(sorted(found))


def schema_version(wanted: str) -> str | None:
    """The newest bundled version not newer than `wanted` ("1.33"), as kubernetes-validate
    picks it; None when every bundled version is newer."""
    major, minor = (int(p) for p in wanted.split(".")[:2])
    older = [v for v in bundled_versions() if v <= (major, minor)]
    return f"{older[-1][0]}.{older[-1][1]}" if older else None


def _file_name(api_version: str, kind: str) -> str:
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{group_version}.json"


@cache
def _registry(version: str) -> referencing.Registry:
    folder = _schema_root().joinpath(f"v{version}.0-local-strict")
    definitions = json.loads(folder.joinpath("_definitions.json").read_text(encoding="utf-8"))
    registry: referencing.Registry = referencing.Registry().with_resource(
        definitions["$id"], referencing.Resource.from_contents(definitions))
    return registry


@cache
def validator(version: str, api_version: str, kind: str) -> jsonschema.Draft202012Validator | None:
    """A strict validator for a built-in kind, or None when the kind is not built in."""
    file = _schema_root().joinpath(f"v{version}.0-local-strict", _file_name(api_version, kind))
    if not file.is_file():
        return None
    schema: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    api_enum = schema.get("properties", {}).get("apiVersion", {}).get("enum", [])
    if api_enum and api_version not in api_enum:
        return None  # another group with the same short name (networking.gke.io/v1 ...)
    return jsonschema.Draft202012Validator(schema, registry=_registry(version))


@cache
def definition_validator(version: str, definition: str) -> jsonschema.Draft202012Validator:
    """A validator for one API definition, e.g. io.k8s.api.core.v1.PodTemplateSpec: for pod
    templates embedded in custom resources, whose CRD schemas infergen does not repeat."""
    registry = _registry(version)
    base = next(iter(registry))  # the one resource: the definitions file
    return jsonschema.Draft202012Validator({"$ref": f"{base}#/$defs/{definition}"},
                                           registry=registry)
