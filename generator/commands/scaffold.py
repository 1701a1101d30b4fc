"""`infergen new`: a minimal spec for a new model, validated with the rest of the specs
folder (schema, every check, the memory-fit estimate) before anything is written."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.commands import templates
from generator.diagnostics import Diagnostic
from generator.spec.load import Source, escaped
from generator.spec.schema_store import INPUT_KINDS, input_schema
from generator.spec.yamlio import parse

STEP = "new"
KIND = "ModelDeployment"
SCHEMA_LINE = "# yaml-language-server: $schema="
_TOPOLOGY = re.compile(r"^[1-9][0-9]*x[1-9][0-9]*(x[1-9][0-9]*)?$")


@dataclass(frozen=True)
class Request:
    name: str
    engine: str
    source: str
    accelerator: str  # TYPE or TYPE:COUNT (TYPE:TOPOLOGY for a TPU slice)
    parameters: str | None
    namespace: str | None
    specs: Path


def _display(path: Path) -> str:
    """Escaped as the read step escapes a spec's path (spec/load.py)."""
    return escaped(os.path.relpath(path))


def namespace_of(request: Request) -> str:
    meta = input_schema(KIND)["properties"]["metadata"]["properties"]
    return request.namespace or str(meta["namespace"]["default"])


def names_problems(request: Request) -> list[Diagnostic]:
    """NAME and --namespace become a path: check them before making one."""
    label = input_schema(KIND)["$defs"]["dnsLabel"]
    problems = []
    for field, value in (("metadata.name", request.name),
                         ("metadata.namespace", namespace_of(request))):
        if len(value) > label["maxLength"] or not re.match(label["pattern"], value):
            problems.append(Diagnostic(_display(request.specs), 0, 0, field,
                                       f"{value!r} is not valid: {label['description']}", STEP))
    return problems


def target(request: Request) -> Path:
    return request.specs / namespace_of(request) / f"{request.name}.yaml"


def accelerator(text: str, where: str) -> tuple[dict[str, Any], list[Diagnostic]]:
    """`nvidia-l4` -> {type}, `nvidia-l4:2` -> {type, count}, `tpu-v6e:2x4` -> {type, topology}."""
    kind, _, amount = text.partition(":")
    if not amount:
        return {"type": kind}, []
    if amount.isdigit() and int(amount) > 0:
        return {"type": kind, "count": int(amount)}, []
    if _TOPOLOGY.match(amount):
        return {"type": kind, "topology": amount}, []
    return {}, [Diagnostic(where, 0, 0, "spec.accelerator",
                           f"--accelerator {text!r}: COUNT must be a number of devices, or a "
                           "TPU topology such as 2x4", STEP, "for example nvidia-l4:2")]


def schema_reference(folder: Path, specs: Path) -> str:
    """The schema's path relative to the new file's folder: the repository's schemas/
    when one is found above the specs folder, else where it would be beside specs/."""
    name = INPUT_KINDS[KIND]
    start = specs.resolve()
    for base in (start, *start.parents):
        if (base / "schemas" / name).is_file():
            return Path(os.path.relpath(base / "schemas" / name, folder.resolve())).as_posix()
    return Path(os.path.relpath(start.parent / "schemas" / name,
                                folder.resolve())).as_posix()


def spec_text(request: Request, accelerator_spec: dict[str, Any]) -> str:
    """The spec, with comments on the fields a newcomer reaches for next (a template: a
    YAML dump has no comments)."""
    path = target(request)
    body = templates.render(
        "new-model.yaml.j2",
        api_version=input_schema(KIND)["properties"]["apiVersion"]["const"],
        name=request.name, namespace=namespace_of(request), source=request.source,
        parameters=request.parameters, engine=request.engine, accelerator=accelerator_spec)
    return f"{SCHEMA_LINE}{schema_reference(path.parent, request.specs)}\n{body}"


@dataclass(frozen=True)
class Draft:
    path: Path
    text: str
    source: Source  # the same text as a document, for validation before it is written


def draft(request: Request) -> tuple[Draft | None, list[Diagnostic]]:
    """The new spec, not on disk yet, or the reasons it cannot be made."""
    problems = names_problems(request)
    if problems:
        return None, problems
    path = target(request)
    display = _display(path)
    if path.exists() or path.is_symlink():
        return None, [Diagnostic(display, 0, 0, "", "already exists; infergen new never "
                                 "overwrites a spec", STEP,
                                 "choose another name, or edit the file")]
    accelerator_spec, problems = accelerator(request.accelerator, display)
    if problems:
        return None, problems
    text = spec_text(request, accelerator_spec)
    documents, problems = parse(text, display)
    if problems:
        return None, problems
    rel = path.relative_to(request.specs).as_posix()
    return Draft(path, text, Source(display, rel, documents[0])), []


def write(path: Path, text: str) -> Diagnostic | None:
    """Create the file; never replace one (a file made meanwhile is refused too)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        return Diagnostic(_display(path), 0, 0, "", "already exists; infergen new never "
                          "overwrites a spec", STEP, "choose another name, or edit the file")
    except OSError as exc:
        return Diagnostic(_display(path), 0, 0, "", f"cannot write: {exc.strerror or exc}",
                          STEP)
    return None
