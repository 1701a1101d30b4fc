"""The parts of generator/catalog/schema.json that follow from the typed catalog: each
typed section's closed object, derived from its frozen dataclasses (catalog/gke.py, tpu.py,
defaults.py). tests/test_catalog_schema.py checks schema.json holds exactly these; after
adding a fact to a dataclass, `python -m tools.catalog_schema` rewrites them in place."""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from generator.catalog.defaults import Alerting, Autoscaling, Probes
from generator.catalog.gke import Gke
from generator.catalog.observability import Observability
from generator.catalog.tpu import Tpu
from generator.catalog.typed import key_of

SCHEMA = Path(__file__).resolve().parent.parent / "generator" / "catalog" / "schema.json"

# root class, its $defs name, and the prefix of the $defs names of the classes inside it
DERIVED: tuple[tuple[type[Any], str, str], ...] = (
    (Gke, "gke", "gke"), (Tpu, "tpu", "tpu"), (Probes, "probes", "probes"),
    (Autoscaling, "autoscaling", "autoscaling"), (Alerting, "alerting", "alerting"),
    (Observability, "observability", "observability"))


def _def_name(cls: type[Any], root: type[Any], name: str, prefix: str) -> str:
    if cls is root:
        return name
    return prefix + cls.__name__.removeprefix(prefix.capitalize())


def _schema_of(hint: Any, found: dict[str, Any], root: tuple[type[Any], str, str]) \
        -> dict[str, Any]:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        name = _def_name(hint, *root)
        if name not in found:
            found[name] = {}
            hints = typing.get_type_hints(hint, vars(sys.modules[hint.__module__]))
            properties = {key_of(f): _schema_of(hints[f.name], found, root)
                          for f in dataclasses.fields(hint)}
            found[name] = {"type": "object", "additionalProperties": False,
                           "required": sorted(properties), "properties": properties}
        return {"$ref": f"#/$defs/{name}"}
    if origin is tuple:
        return {"type": "array", "items": _schema_of(args[0], found, root)}
    if origin is Mapping:
        return {"type": "object", "additionalProperties": _schema_of(args[1], found, root)}
    if origin is types.UnionType:
        return {"type": [_schema_of(arg, found, root)["type"] for arg in args]}
    return {"type": {str: "string", int: "integer", float: "number", bool: "boolean",
                     type(None): "null"}[hint]}


def derived_defs(root: type[Any], name: str, prefix: str) -> dict[str, Any]:
    """The $defs a typed section and the classes inside it must have in schema.json."""
    found: dict[str, Any] = {}
    _schema_of(root, found, (root, name, prefix))
    return found


def main() -> None:
    data = json.loads(SCHEMA.read_text(encoding="utf-8"))
    for row in DERIVED:
        data["$defs"].update(derived_defs(*row))
    SCHEMA.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
