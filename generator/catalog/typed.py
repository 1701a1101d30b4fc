"""YAML catalog data as frozen dataclasses: field names are the YAML keys in snake case
(`key` metadata where the YAML spells one otherwise); a field with a default may be left
out. Built once, when the catalog loads."""

from __future__ import annotations

import dataclasses
import re
import sys
import types
import typing
from collections.abc import Mapping
from typing import Any


def key_of(item: dataclasses.Field[Any]) -> str:
    """The YAML key of a dataclass field: its `key` metadata, else its name in camel case."""
    return str(item.metadata.get("key") or re.sub(r"_([a-z])", lambda m: m[1].upper(),
                                                   item.name))


def _has_default(item: dataclasses.Field[Any]) -> bool:
    return item.default is not dataclasses.MISSING \
        or item.default_factory is not dataclasses.MISSING


def typed(cls: type[Any], data: Mapping[str, Any]) -> Any:
    """`data` as `cls`, nested dataclasses, mappings of them and tuples included. A missing or
    unknown key raises (schema.json refuses the same file first, with a clearer message)."""
    hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
    fields = dataclasses.fields(cls)
    unknown = set(data) - {key_of(f) for f in fields}
    if unknown:
        raise KeyError(f"{cls.__name__}: unknown keys {sorted(unknown)}")
    return cls(**{f.name: _value(hints[f.name], data[key_of(f)]) for f in fields
                  if key_of(f) in data or not _has_default(f)})


def _value(hint: Any, value: Any) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return typed(hint, value)
    if origin is tuple:
        return tuple(_value(args[0], item) for item in value)
    if origin is Mapping:
        # a plain dict: builders copy these into manifests as they are
        return {key: _value(args[1], item) for key, item in value.items()}
    if origin is types.UnionType:  # X | None
        return None if value is None else _value(next(a for a in args if a is not type(None)),
                                                  value)
    return value
