"""Jinja2 templates, and the strict environment that renders them.

Templates make no decisions and splice no raw text: every `{{ ... }}` must end in a
quoting filter, `yaml` (a flow scalar, quoted whenever YAML needs it) or `tojson` (JSON is
YAML), so no value can change the document's structure. The environment enforces that when
it loads a template; undefined names are errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import jinja2
import yaml
from jinja2 import nodes

SAFE_FILTERS = ("yaml", "tojson")


class UnsafeTemplate(Exception):
    """A template outputs a value without a quoting filter."""


def to_yaml(value: Any) -> str:
    """One value as a YAML flow scalar or collection on one line, quoted where needed."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined: raises, naming the missing value
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True,
                          width=1_000_000).removesuffix("\n").removesuffix("\n...")
    # a value YAML would fold over lines goes as one JSON (double-quoted YAML) string
    breaks = isinstance(value, str) and any(c in value for c in "\r\x85\u2028\u2029")
    return json.dumps(value) if "\n" in text or breaks else text


def check_safe(source: str, name: str, environment: jinja2.Environment) -> None:
    for output in environment.parse(source, name).find_all(nodes.Output):
        for node in output.nodes:
            if isinstance(node, nodes.TemplateData):
                continue
            if not (isinstance(node, nodes.Filter) and node.name in SAFE_FILTERS):
                raise UnsafeTemplate(f"{name}:{node.lineno}: every value needs `| yaml`")


class _Loader(jinja2.PackageLoader):
    def get_source(self, environment: jinja2.Environment,
                   template: str) -> tuple[str, str, Callable[[], bool] | None]:
        source, path, uptodate = super().get_source(environment, template)
        check_safe(source, template, environment)
        return source, path, uptodate


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=_Loader("generator.commands", "templates"), undefined=jinja2.StrictUndefined,
        autoescape=False, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["yaml"] = to_yaml
    return env


def render(template: str, **values: Any) -> str:
    return environment().get_template(template).render(**values)
