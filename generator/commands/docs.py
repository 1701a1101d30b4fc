"""docs/spec-reference.md, generated from the input JSON Schemas: every field with its
type, default, allowed values and description, and an example from specs/ where one
exists. `make docs` writes it; a test fails when the committed file is out of date.

    python -m generator.commands.docs [--specs specs] [--out docs/spec-reference.md]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from generator.commands.explain import value_text
from generator.spec.fields import Field, root, walk
from generator.spec.load import load
from generator.spec.schema_store import INPUT_KINDS
from generator.spec.yamlio import load_plain

EXAMPLE_WIDTH = 80
_PLAIN = re.compile(r"^[A-Za-z0-9_./@][A-Za-z0-9 _./@:+-]*$")
ExampleKey = tuple[str, tuple[str, ...]]


def flow(value: Any) -> str:
    """Compact YAML flow style: `{type: nvidia-l4, count: 2}`."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        plain = _PLAIN.match(value) and not value.endswith(" ") and load_plain(value) == value
        return value if plain else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def _collect(value: Any, path: tuple[str, ...], kind: str, rel: str,
             found: dict[ExampleKey, tuple[str, str]]) -> None:
    if path:
        text = flow(value)
        if len(text) <= EXAMPLE_WIDTH:
            found.setdefault((kind, path), (rel, text))
    if isinstance(value, dict):
        for key, inner in value.items():
            _collect(inner, (*path, str(key)), kind, rel, found)
    elif isinstance(value, list):
        for inner in value:
            if isinstance(inner, dict):
                _collect(inner, path, kind, rel, found)


def examples(specs: Path) -> dict[ExampleKey, tuple[str, str]]:
    """(kind, field path) -> (spec file, value) of the first spec, by path, that sets it."""
    sources, _ = load([specs])
    found: dict[ExampleKey, tuple[str, str]] = {}
    for source in sorted(sources, key=lambda s: s.rel):
        data = source.document.data
        if data.get("kind") in INPUT_KINDS:
            _collect(data, (), str(data["kind"]), f"{specs.name}/{source.rel}", found)
    return found


def _section(path: str, field: Field, example: tuple[str, str] | None) -> list[str]:
    facts = [f"`{field.type}`" + (", required" if field.required else "")]
    if field.default is not None:
        facts.append(f"default: `{value_text(field.default)}`")
    if field.allowed:
        facts.append("allowed: " + ", ".join(f"`{value_text(v)}`" for v in field.allowed))
    lines = [f"### `{path}`", "", " · ".join(facts), ""]
    if field.description:
        lines += [field.description, ""]
    if field.partial_spec:
        lines += ["A partial spec: any of the fields under `spec` of a ModelDeployment.", ""]
    if example is not None:
        lines += [f"Example (`{example[0]}`): `{example[1]}`", ""]
    return lines


def generate(specs: Path) -> str:
    found = examples(specs)
    lines = ["# Spec reference", "",
             "<!-- Generated from schemas/*.schema.json by `make docs`; do not edit. -->", "",
             "Every field of the two kinds of spec file. `infergen explain FIELD.PATH` prints "
             "the same for one field; `infergen schema` prints the JSON Schemas themselves.", ""]
    for kind in ("ModelDeployment", "Platform"):
        top = root(kind)
        lines += [f"## {kind}", "", top.description, ""]
        for path, field in walk(top):
            key = (kind, tuple(p.removesuffix("[]") for p in path.split(".")))
            lines += _section(path, field, found.get(key))
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m generator.commands.docs", description=__doc__)
    parser.add_argument("--specs", type=Path, default=Path("specs"))
    parser.add_argument("--out", type=Path, default=Path("docs/spec-reference.md"))
    options = parser.parse_args(argv)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(generate(options.specs), encoding="utf-8")


if __name__ == "__main__":
    main()
