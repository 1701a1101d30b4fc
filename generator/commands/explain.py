"""`infergen explain FIELD.PATH`: a field of the spec format described from the JSON
Schemas, the way `kubectl explain` describes an API field."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from generator.diagnostics import Diagnostic, did_you_mean
from generator.spec.fields import Field, resolve, root, split_path
from generator.spec.schema_store import INPUT_KINDS, input_schema

STEP = "explain"
DEFAULT_KIND = "ModelDeployment"
WIDTH = 80


def _kind_and_parts(text: str) -> tuple[str, list[str]]:
    parts = split_path(text)
    kinds = {k.lower(): k for k in INPUT_KINDS}
    if parts and parts[0].lower() in kinds:
        return kinds[parts[0].lower()], parts[1:]
    return DEFAULT_KIND, parts


def find(text: str) -> tuple[Field | None, list[Diagnostic]]:
    """The field at `text` (`spec.` may be left out; `Platform.` picks the other kind)."""
    kind, parts = _kind_and_parts(text)
    field = root(kind)
    top = {c.name for c in field.children()}
    if parts and parts[0] not in top and "spec" in top:
        parts = ["spec", *parts]
    for part in parts:
        children = {c.name: c for c in field.children()}
        if part in children:
            field = children[part]
            continue
        values = field.schema.get("additionalProperties")
        if isinstance(values, dict) and not field.schema.get("properties"):
            field = Field(kind, (*field.path, part), resolve(kind, values), False)
            continue
        return None, [_unknown(kind, field, part, text)]
    return field, []


def _unknown(kind: str, parent: Field, part: str, text: str) -> Diagnostic:
    where = f"{kind} {parent.dotted}" if parent.path else kind
    names = [c.name for c in parent.children()]
    if not names:
        message = f"{where} is {_article(parent.type)} {parent.type}: it has no field {part!r}"
    else:
        message = f"{where} has no field {part!r} (fields: {', '.join(names)})"
    return Diagnostic(f"schemas/{INPUT_KINDS[kind]}", 0, 0, text, message, STEP,
                      did_you_mean(part, names))


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def value_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def facts(field: Field) -> list[str]:
    """Default, allowed values and limits, one `name: value` each."""
    lines = []
    if field.default is not None:
        lines.append(f"default: {value_text(field.default)}")
    if field.allowed:
        lines.append("allowed: " + ", ".join(value_text(v) for v in field.allowed))
    low, high = field.schema.get("minimum"), field.schema.get("maximum")
    if low is not None or high is not None:
        lines.append(f"range: {'' if low is None else low}..{'' if high is None else high}")
    return lines


def _wrap(text: str, indent: int) -> list[str]:
    return textwrap.wrap(text, WIDTH - indent, break_on_hyphens=False) or [""]


def render(field: Field) -> str:
    spec = input_schema(field.kind)["properties"]["apiVersion"]["const"]
    pad = "    "
    lines = [f"KIND:     {field.kind}", f"VERSION:  {spec}", ""]
    if field.path:
        required = " -required-" if field.required else ""
        lines += [f"FIELD: {field.dotted} <{field.type}>{required}", ""]
    lines.append("DESCRIPTION:")
    lines += [pad + line for line in _wrap(field.description or "(no description)", 4)]
    lines += [pad + fact for fact in facts(field)]
    if field.partial_spec:
        lines += ["", *(pad + line for line in _wrap(
            "A partial spec: any of the fields of a ModelDeployment's spec, as listed below "
            "(see `infergen explain spec`).", 4))]
    children = field.children()
    if children:
        lines += ["", "FIELDS:"]
        for child in children:
            required = " -required-" if child.required else ""
            lines.append(f"  {child.name}\t<{child.type}>{required}")
            for text in _wrap(child.description, 6) + facts(child):
                if text:
                    lines.append("      " + text)
            lines.append("")
        lines.pop()
    return "\n".join(lines) + "\n"
