"""A compiled fast path for schema checks, of input specs and output objects alike:
jsonschema-rs (Rust) answers "is this object valid?" about 100x faster than the Python
jsonschema validators, from the same schemas.

Only the yes is trusted: when the fast validator says an object is invalid (or cannot be
built, or jsonschema-rs is not installed) the Python validator runs as before, so every
message infergen prints is exactly jsonschema's. Valid objects, the normal case, never reach
the slow path.
"""

from __future__ import annotations

import contextlib
from typing import Any

jsonschema_rs: Any
try:  # an optional accelerator: without it everything still works, only slower
    import jsonschema_rs
except ImportError:  # pragma: no cover - exercised where the wheel is missing
    jsonschema_rs = None

# id(python validator) -> (python validator, fast validator or None). The Python validators
# are cached for the life of the process, so their ids are stable; the reference kept here
# makes sure of it.
_FAST: dict[int, tuple[Any, Any]] = {}
_REGISTRIES: dict[str, Any] = {}


def enabled() -> bool:
    return jsonschema_rs is not None


def _registry(validator: Any) -> Any:
    """The Python validator's referenced resources (Kubernetes' _definitions.json), as a
    jsonschema-rs registry; None when it references nothing."""
    registry = getattr(validator, "_registry", None)
    if registry is None:
        return None
    uris = sorted(str(uri) for uri in registry)
    if not uris:
        return None
    key = "\n".join(uris)
    if key not in _REGISTRIES:
        _REGISTRIES[key] = jsonschema_rs.Registry(
            [(uri, registry[uri].contents) for uri in uris])
    return _REGISTRIES[key]


def _build(validator: Any) -> Any:
    if jsonschema_rs is None:
        return None
    with contextlib.suppress(Exception):  # any schema it cannot take: the Python path
        return jsonschema_rs.Draft202012Validator(
            validator.schema, registry=_registry(validator), validate_formats=False,
            retriever=_offline)
    return None


def _offline(uri: str) -> Any:
    raise ValueError(f"infergen never fetches schemas: {uri}")


def surely_valid(validator: Any, instance: Any) -> bool:
    """True when the fast validator accepts `instance`; False means "ask `validator`"."""
    entry = _FAST.get(id(validator))
    if entry is None or entry[0] is not validator:
        entry = _FAST[id(validator)] = (validator, _build(validator))
    fast = entry[1]
    if fast is None:
        return False
    try:
        return bool(fast.is_valid(instance))
    except Exception:  # noqa: BLE001 - a value it cannot convert: the Python path decides
        return False
