"""The placement record: `<out>/<env>/placement.yaml`, which root each model of a sharded
environment is synced from. infergen writes it (sorted, one line per model, with a header
like every file it generates) and reads it back on the next render, so placement survives
any change to the specs: a committed, reviewable decision rather than a rule that could
shift when the fleet changes (a hash over N roots moves models whenever N changes).

An environment that fits its own root has no record: its root's kustomization.yaml lists
the models in it (`<ns>/<model>/<file>`), which is all the record it needs. So does a tree
rendered before sharding existed, which therefore needs no migration.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from generator.diagnostics import Diagnostic
from generator.output.sharding import PLATFORM_ROOT, Layout, Previous, is_root_name, shard_number
from generator.output.text import header
from generator.spec.yamlio import load_plain

RECORD = "placement.yaml"
KUSTOMIZATION = "kustomization.yaml"
STEP = "check"


Parse = Callable[[str], Any]  # YAML text -> plain data (a store may remember the answer)


def _load(path: Path, parse: Parse) -> Any:
    return parse(path.read_text(encoding="utf-8"))


def _problem(path: Path, message: str) -> Diagnostic:
    return Diagnostic(path.as_posix(), 0, 0, "", message, STEP,
                      "infergen reads it to keep every model in its root: restore it from git "
                      f"(git checkout -- {path.as_posix()})")


def _names(value: Any) -> dict[str, str] | None:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return None
    return value


def read(out: Path, env: str, parse: Parse = load_plain) -> tuple[Previous, list[Diagnostic]]:
    """What the last render of `env` into `out` left: its placement record, else the
    models its single root lists, else nothing (never rendered)."""
    record = out / env / RECORD
    try:
        data = _load(record, parse)
    except FileNotFoundError:
        return _from_kustomization(out / env / KUSTOMIZATION, parse)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return Previous(rendered=True), [_problem(record, f"cannot read the placement record: "
                                                  f"{getattr(exc, 'strerror', None) or exc}")]
    models = _names(data["models"]) if isinstance(data, dict) and "models" in data else None
    moving = _names(data.get("moving")) if isinstance(data, dict) else None
    roots = data.get("roots") if isinstance(data, dict) else None
    if models is None or moving is None or not isinstance(roots, dict):
        return Previous(rendered=True), [_problem(
            record, "is not a placement record infergen wrote (it needs roots, models)")]
    named = {*models.values(), *moving.values(), *map(str, roots)}
    wrong = sorted(r for r in named if not is_root_name(r))
    if wrong:
        return Previous(rendered=True), [_problem(record, f"names unknown roots: {wrong}")]
    shards = tuple(r for r in map(str, roots) if shard_number(r) is not None)
    return Previous(True, models, moving, shards), []


def _from_kustomization(path: Path, parse: Parse) -> tuple[Previous, list[Diagnostic]]:
    try:
        data = _load(path, parse)
    except FileNotFoundError:
        return Previous(), []
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return Previous(rendered=True), []  # not ours to judge: render rewrites it
    files = data.get("resources") if isinstance(data, dict) else None
    models: dict[str, str] = {}
    for entry in files if isinstance(files, list) else []:
        parts = str(entry).split("/")
        if len(parts) == 3 and not parts[1].startswith("_"):  # <ns>/<model>/<kind>.yaml
            models[f"{parts[0]}/{parts[1]}"] = PLATFORM_ROOT
    return Previous(True, models), []


def fingerprint(out: Path) -> str:
    """Changes whenever what read() finds in `out` may change (a cache key)."""
    hasher = hashlib.sha256()
    try:
        envs = sorted(entry.name for entry in os.scandir(out) if entry.is_dir())
    except OSError:
        return ""
    for env in envs:
        for name in (RECORD, KUSTOMIZATION):
            try:
                data = (out / env / name).read_bytes()
            except OSError:
                data = b"-"
            hasher.update(f"\0{env}/{name}\0".encode() + hashlib.sha256(data).digest())
    return hasher.hexdigest()


def needed(layout: Layout) -> bool:
    """Only an environment with shards, namespace roots or models on the move needs a
    record."""
    return bool(layout.shards or layout.tenants or layout.moving)


def text(layout: Layout, counts: dict[str, int], source: str) -> str:
    """The record: roots with their object counts, then each model's root, sorted."""
    lines = [header((source,)).rstrip("\n"),
             f"# Which Config Sync root each model of environment {layout.env!r} is synced "
             "from: '.' is",
             f"# {layout.env}/ itself (the bootstrap RootSync's root), '_shard-NNN' is "
             f"{layout.env}/_shard-NNN/",
             "# (RootSync infergen-shard-NNN). New models go to a root under 80% of the "
             "budget; infergen",
             "# never moves a model by itself (README: When a fleet outgrows one root).",
             *(["# '_ns-<namespace>' is the namespace's own root, synced by its RepoSync "
                "(tenancy: namespace)."] if layout.tenants else []),
             "roots:"]
    lines += [f"  '{root}': {counts.get(root, 0)}" for root in layout.counts]
    lines.append("models:" if layout.models else "models: {}")
    lines += [f"  {key}: '{root}'" for key, root in sorted(layout.models.items())]
    if layout.moving:
        lines.append("moving:  # left in their root unmanaged; `render --complete-moves` "
                     "moves them")
        lines += [f"  {key}: '{root}'" for key, root in sorted(layout.moving.items())]
    return "\n".join(lines) + "\n"
