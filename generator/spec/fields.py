"""The fields of the input schemas as a tree a person reads: each field's path, type,
default, allowed values, description and children, with `$ref`s followed. Used by
`infergen explain` and the generated docs/spec-reference.md."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from generator.spec.schema_store import INPUT_KINDS, input_schema

# `environments` maps and `defaults` hold a whole partial spec: documented once, not again
PARTIAL_SPEC = "settings"


@dataclass(frozen=True)
class Field:
    kind: str
    path: tuple[str, ...]  # ("spec", "accelerator", "sharing")
    schema: dict[str, Any]  # with $refs resolved and branches merged
    required: bool

    @property
    def name(self) -> str:
        return self.path[-1] if self.path else self.kind

    @property
    def dotted(self) -> str:
        return ".".join(self.path)

    @property
    def description(self) -> str:
        return str(self.schema.get("description", ""))

    @property
    def type(self) -> str:
        return type_name(self.schema)

    @property
    def default(self) -> Any:
        return self.schema.get("default")

    @property
    def allowed(self) -> list[Any]:
        if "enum" in self.schema:
            return list(self.schema["enum"])
        if "const" in self.schema:
            return [self.schema["const"]]
        items = self.schema.get("items")
        return list(items["enum"]) if isinstance(items, dict) and "enum" in items else []

    @property
    def partial_spec(self) -> bool:
        """A map of (or a single) partial spec, whose fields are spec's own."""
        return bool(self.schema.get("x-partial-spec"))

    def children(self) -> list[Field]:
        body = container(self.schema)
        required = set(body.get("required", []))
        base = body.get("x-base", self.kind)  # the file whose local `$ref`s these are
        return [Field(self.kind, (*self.path, name), resolve(base, prop), name in required)
                for name, prop in body.get("properties", {}).items()]


def _lookup(kind: str, ref: str) -> tuple[str, dict[str, Any]]:
    """(kind whose file holds the target, target schema) of a `$ref`."""
    file, _, pointer = ref.partition("#")
    if file:
        kind = next(k for k, name in INPUT_KINDS.items() if name == file)
    node: Any = input_schema(kind)
    for part in pointer.strip("/").split("/") if pointer.strip("/") else []:
        node = node[part]
    return kind, node


def resolve(kind: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with `$ref`s followed (its own keys win), `oneOf`/`anyOf` branches that
    are objects merged in, and nested refs in items/additionalProperties resolved too."""
    merged = dict(schema)
    partial = False
    while "$ref" in merged:
        ref = merged.pop("$ref")
        partial = partial or ref.endswith(f"/$defs/{PARTIAL_SPEC}")
        kind, target = _lookup(kind, ref)
        merged = {**target, **merged}
        if "required" in schema and "required" in target:
            merged["required"] = sorted({*target["required"], *schema["required"]})
    for key in ("oneOf", "anyOf"):
        branches = [resolve(kind, b) for b in merged.get(key, [])]
        for branch in branches:
            if "properties" in branch:
                merged.setdefault("properties", branch["properties"])
                merged.setdefault("required", branch.get("required", []))
        if branches:
            merged["x-branches"] = branches
    for key in ("items", "additionalProperties"):
        if isinstance(merged.get(key), dict):
            merged[key] = resolve(kind, merged[key])
            partial = partial or bool(merged[key].get("x-partial-spec"))
    if partial:
        merged["x-partial-spec"] = True
    merged["x-base"] = kind
    return merged


def container(schema: dict[str, Any]) -> dict[str, Any]:
    """Where a field's children are declared: itself, or its items or map values."""
    if "properties" in schema:
        return schema
    for key in ("items", "additionalProperties"):
        inner = schema.get(key)
        if isinstance(inner, dict) and "properties" in inner:
            return inner
    return schema


def type_name(schema: dict[str, Any]) -> str:
    """`string`, `integer`, `[]object`, `map[string]string`, `string | object`, ..."""
    if "x-branches" in schema:
        names = list(dict.fromkeys(type_name(b) for b in schema["x-branches"]))
        return " | ".join(names)
    if "const" in schema:
        return _json_type(schema["const"])
    if "enum" in schema:
        kinds = list(dict.fromkeys(_json_type(v) for v in schema["enum"]))
        return " | ".join(kinds)
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        return "[]" + (type_name(items) if isinstance(items, dict) else "any")
    if kind == "object" or "properties" in schema:
        values = schema.get("additionalProperties")
        if isinstance(values, dict) and "properties" not in schema:
            return "map[string]" + type_name(values)
        return "object"
    return str(kind) if kind else "any"


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string" if isinstance(value, str) else "object"


def root(kind: str) -> Field:
    return Field(kind, (), resolve(kind, input_schema(kind)), True)


def walk(field: Field, shown: str = "") -> list[tuple[str, Field]]:
    """Every field under `field`, depth first in schema order, with its path as the docs
    show it (`spec.environments[].name`); partial specs are not repeated."""
    found: list[tuple[str, Field]] = []
    for child in field.children():
        path = f"{shown}.{child.name}" if shown else child.name
        found.append((path, child))
        if not child.partial_spec:
            found += walk(child, path + ("[]" if child.type.startswith("[]") else ""))
    return found


_INDEX = re.compile(r"\[[^\]]*\]")


def split_path(text: str) -> list[str]:
    """`spec.environments[0].name` -> ["spec", "environments", "name"]; label keys with
    dots cannot be told apart from fields, and no field has one."""
    return [part for part in _INDEX.sub("", text).split(".") if part]
