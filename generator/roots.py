"""The pipeline's side of sharding (output/sharding.py): what the last render left, each
environment's layout from the built models, and the models' objects moved into their
roots (and, while a move is pending, annotated so that Config Sync leaves them alone)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generator.catalog import Catalog
from generator.diagnostics import Diagnostic
from generator.incremental.units import Built, Files, PlanPart
from generator.output import shard_record, sharding
from generator.output.layout import Rendered
from generator.output.sharding import PLATFORM_ROOT, Budget, Layout, Previous
from generator.per_spec import files_of
from generator.plan.records import Platform
from generator.spec.yamlio import dump, load_plain


def budget(platform: Platform, catalog: Catalog) -> Budget:
    facts = catalog.gke.config_sync
    return sharding.budget_of(platform.config_sync.get("maxObjectsPerRoot"),
                              facts.max_objects_per_root, facts.root_fill_ratio)


def previous(platform: Platform, records: Path, parse: shard_record.Parse = load_plain
             ) -> tuple[dict[str, Previous], list[Diagnostic]]:
    """Each environment's last render, read from the tree in `records` (`parse`: its YAML,
    as load_plain parses it; a store may remember the answer)."""
    found: dict[str, Previous] = {}
    problems: list[Diagnostic] = []
    for env in platform.environments:
        found[env.name], read = shard_record.read(records, env.name, parse)
        problems += read
    return found, problems


Ordered = list[tuple[str, PlanPart, Built]]  # the pipeline's (spec, plan, built) in order


def key_of(part: PlanPart) -> str:
    return f"{part.namespace}/{part.name}"


def layouts(platform: Platform, per_model: dict[tuple[str, str], int], shared: list[Rendered],
            before: dict[str, Previous], budget_: Budget, moves: str) -> dict[str, Layout]:
    """Each environment's roots, with every model (objects_per_model) placed."""
    sizes: dict[str, dict[str, int]] = {env.name: {} for env in platform.environments}
    namespaces: dict[str, set[str]] = {env.name: set() for env in platform.environments}
    for (env_name, key), size in per_model.items():
        sizes[env_name][key] = size
        namespaces[env_name].add(key.split("/", 1)[0])
    shared_count = Counter(item.path.split("/", 1)[0] for item in shared)
    found = {}
    for env in platform.environments:
        overhead = len(namespaces[env.name]) + shared_count[env.name]
        if env.tenancy == sharding.TENANCY_NAMESPACE:
            # the platform root also holds a RepoSync and a RoleBinding each, a ClusterRole
            found[env.name] = sharding.place_by_namespace(
                env.name, sizes[env.name], overhead + 2 * len(namespaces[env.name]) + 1,
                before[env.name], budget_, moves)
        else:
            found[env.name] = sharding.place(env.name, sizes[env.name], overhead,
                                             before[env.name], budget_, moves)
    return found


def place_objects(ordered: Ordered, found: dict[str, Layout], catalog: Catalog) -> list[Files]:
    """Every model's objects at their paths in their root; a model on the move stays in its
    root, every object annotated as no longer managed (the first of the move's two commits)."""
    unmanaged = catalog.gke.config_sync.unmanaged_annotation
    placed: list[Files] = []
    for _, part, built in ordered:
        layout = found[part.environment]
        key = key_of(part)
        root = layout.models[key]
        files = built.objects
        if root == PLATFORM_ROOT and key not in layout.moving:
            placed.append(files)
            continue
        paths = sharding.relocate(files.paths, part.environment, root)
        if key in layout.moving:
            placed.append(files_of(paths, files.kinds, files.identities,
                                   (_annotated(text, dict(unmanaged)) for text in files.texts)))
        else:
            placed.append(files.at(paths))
    return placed


def files_by_root(placed: list[Files], shared: list[Rendered]) -> dict[str, list[str]]:
    """Each root folder's files (paths inside the root), in order: the models' (every file
    of a model is in one root), then the shared objects'."""
    found: dict[str, list[str]] = {}
    for files in placed:
        if files.paths:
            root = sharding.split_path(files.paths[0])[0]
            cut = len(root) + 1
            found.setdefault(root, []).extend([path[cut:] for path in files.paths])
    for item in shared:
        root, rest = sharding.split_path(item.path)
        found.setdefault(root, []).append(rest)
    return found


def counted(placed: list[Files]) -> list[tuple[str, int]]:
    """(root folder, objects) of each model (checks/fleet.py root_counts)."""
    return [(sharding.split_path(files.paths[0])[0], len(files)) for files in placed
            if files.paths]


def _annotated(text: str, annotations: dict[str, str]) -> str:
    """The object's file with `annotations` added, its header kept."""
    lines = text.splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    obj: dict[str, Any] = load_plain("".join(lines[cut:]))
    metadata = obj.setdefault("metadata", {})
    metadata["annotations"] = {**metadata.get("annotations", {}), **annotations}
    return "".join(lines[:cut]) + dump(obj)


def records(platform: Platform, found: dict[str, Layout],
            counts: dict[str, int]) -> dict[str, str]:
    """The placement record of each sharded environment, at its path in the tree."""
    return {f"{env}/{shard_record.RECORD}": shard_record.text(
        layout, {root: counts.get(sharding.folder(env, root), 0) for root in layout.counts},
        platform.source.rel)
        for env, layout in found.items() if shard_record.needed(layout)}


def summary(counts: dict[str, int], out: str) -> list[str]:
    """One line per environment: its roots and their objects."""
    by_env: dict[str, list[tuple[str, int]]] = {}
    for root, count in counts.items():
        by_env.setdefault(root.split("/", 1)[0], []).append((root, count))
    return [f"{out}/{env}: {len(roots)} root{'s' if len(roots) > 1 else ''} (" + ", ".join(
        f"{root.partition('/')[2] or env} {count}" for root, count in roots) + " objects)"
        for env, roots in by_env.items()]


def objects_per_model(ordered: Iterable[tuple[str, PlanPart, Built]]) -> dict[
        tuple[str, str], int]:
    return {(part.environment, key_of(part)): len(built.objects) for _, part, built in ordered}
