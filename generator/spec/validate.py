"""Step 2: check each input document against its JSON Schema.

Every error of every document is reported, pointed at the line of the offending key or
value, with a "did you mean" hint for misspelled field names and enum values.
"""

from __future__ import annotations

from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from generator.diagnostics import Diagnostic, did_you_mean
from generator.spec import fast_schema as fast
from generator.spec.load import Source
from generator.spec.schema_store import INPUT_KINDS, input_validator

STEP = "schema"


def _describe(schema: Any) -> str:
    return schema.get("description", "") if isinstance(schema, dict) else ""


def _most_relevant(error: ValidationError, described: str = "") -> tuple[ValidationError, str]:
    """oneOf/anyOf report "not valid under any"; the closest branch says what is wrong.
    Also returns the nearest description, for branches that have none of their own."""
    described = _describe(error.schema) or described
    if error.validator in ("oneOf", "anyOf") and error.context:
        # a branch of another type says nothing useful ("expected object" for a string)
        meant = [e for e in error.context if e.validator != "type"] or error.context
        return _most_relevant(best_match(meant), described)
    return error, _describe(error.schema) or described


def _diagnostics(error: ValidationError, source: Source) -> list[Diagnostic]:
    error, description = _most_relevant(error)
    doc = source.document
    path = tuple(error.absolute_path)
    where = doc.locate(path)
    value = error.instance
    kind = error.validator
    rule: Any = error.validator_value

    if kind == "additionalProperties" and isinstance(value, dict):
        allowed = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extras = sorted(k for k in value if k not in allowed)
        return [doc.locate((*path, key), at_key=True).diagnostic(
            STEP, f"unknown field {key!r}", did_you_mean(key, allowed)) for key in extras]
    if kind == "required":
        missing = str(rule[0])
        for name in rule:
            if isinstance(value, dict) and name not in value:
                missing = name
                break
        return [where.diagnostic(STEP, f"missing required field {missing!r}")]
    if kind == "enum":
        allowed_values = ", ".join(str(v) for v in rule)
        return [where.diagnostic(STEP, f"{value!r} is not one of: {allowed_values}",
                                 did_you_mean(str(value), rule))]
    if kind == "const":
        return [where.diagnostic(STEP, f"must be {rule!r}, not {value!r}")]
    if kind == "type":
        return [where.diagnostic(STEP, f"expected {rule}, got {type(value).__name__} "
                                 f"{value!r}")]
    if kind in ("pattern", "maxLength", "minLength") and isinstance(value, str):
        rule = description
        return [where.diagnostic(STEP, f"{value!r} is not valid" + (f": {rule}" if rule else
                                 f" ({error.message})"))]
    return [where.diagnostic(STEP, error.message)]


def _key_error(error: ValidationError, source: Source) -> list[Diagnostic]:
    """A mapping key breaking `propertyNames`: point at the key, say the rule."""
    key = str(error.instance)
    path: tuple[str | int, ...] = (*error.absolute_path, key)
    rule = _describe(error.schema) or next(
        (_describe(e.schema) for e in (error.context or []) if _describe(e.schema)), "")
    message = f"{key!r} is not valid" + (f": {rule}" if rule else "")
    return [source.document.locate(path, at_key=True).diagnostic(STEP, message)]


def check(source: Source) -> list[Diagnostic]:
    """Schema diagnostics for one input document (empty when it is valid)."""
    data = source.document.data
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in INPUT_KINDS:  # a list is unhashable
        where = source.document.locate(("kind",))
        shown = f"{kind!r}" if kind is not None else "missing"
        return [where.diagnostic(STEP, f"kind is {shown}; expected one of: "
                                 + ", ".join(INPUT_KINDS),
                                 did_you_mean(str(kind), INPUT_KINDS))]
    validator: jsonschema.Draft202012Validator = input_validator(kind)
    if fast.surely_valid(validator, data):  # only its yes is trusted: messages are ours
        return []
    problems: list[Diagnostic] = []
    for error in validator.iter_errors(data):
        if error.validator == "propertyNames" or "propertyNames" in error.relative_schema_path:
            problems.extend(_key_error(error, source))
        else:
            problems.extend(_diagnostics(error, source))
    return problems
