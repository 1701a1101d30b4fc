"""The compiler from specs to a tree of manifests, step by step:
load -> schema -> resolve -> check -> build -> verify -> (serialize).

Pure: reads the spec files, returns diagnostics and the tree as text. Every problem of a
step is collected; the pipeline stops between steps, never inside one.

Each spec file is a `units.Unit`, computed on its own (and so cacheable: see cache.py);
what spans several specs is computed here, every time, from the units' summaries.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator import checks, parallel, roots, sharding, units
from generator.build import Member, Rendered, merge_shared, platform_objects
from generator.catalog import Catalog
from generator.checks import fleet
from generator.diagnostics import Diagnostic, errors
from generator.load import Source, discover, load, read_raw
from generator.resolve import platform_from
from generator.units import Built, PlanPart, Unit
from generator.verify import check_item, duplicates, kubernetes_api, synced, unsupported
from generator.write import text_of


@dataclass
class Outcome:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    tree: dict[str, str] | None = None  # path inside the output folder -> text
    bug: bool = False  # the generator, not the specs, is at fault
    digests: dict[str, str] | None = None  # the tree's write.digests_of, where known
    current: int | None = None  # files of a tree a cache found in place already (no tree)
    roots: dict[str, int] | None = None  # objects per Config Sync root (its folder)

    @property
    def failed(self) -> bool:
        return bool(errors(self.diagnostics)) or (self.tree is None and self.current is None)


Step = Callable[[str], None]


RawFile = tuple[str, str, bytes | None, list[Diagnostic]]  # display, rel, bytes, problems


def read_files(paths: list[Path]) -> tuple[list[RawFile], list[Diagnostic]]:
    """The bytes of every spec file found (None when unreadable), and what finding them
    reported."""
    files, problems = discover(paths)
    return [read_raw(file, root) for file, root in files], problems


def unit_of(file: RawFile) -> Unit:
    display, rel, raw, unreadable = file
    return Unit(display, rel, unreadable) if raw is None else units.from_file(display, rel, raw)


def _with_platform(found: list[Unit], fallback: Path | None) -> list[Unit]:
    """Validating single files still needs the Platform for cross-checks: take the one in
    the specs folder when the files given hold none."""
    if any(u.has_source and u.kind == "Platform" for u in found) or fallback is None \
            or not fallback.is_dir():
        return found
    extra, _ = load([fallback])
    return found + [units.from_source(s) for s in extra if s.kind == "Platform"]


def compile_specs(paths: list[Path], out: str, catalog: Catalog,
                  platform_fallback: Path | None = None, *,
                  allow_empty: Collection[str] | None = None,
                  extra: Sequence[Source] = (),
                  progress: Step | None = None, moves: str = sharding.NO_MOVES,
                  records: Path | None = None) -> Outcome:
    """`allow_empty` None validates (an empty root is a warning); a collection renders
    (an empty root is an error unless its environment is in it). `extra` are documents not
    on disk yet (`infergen new`); `progress` hears the name of each step as it starts.
    `moves` (sharding.py) starts or completes moves of models between roots; `records` is
    the tree whose placement is kept (default: `out`)."""
    step = progress or (lambda name: None)
    step("load")
    files, problems = read_files(paths)
    found = _with_platform([unit_of(file) for file in files], platform_fallback)
    found += [units.from_source(s) for s in extra]
    return compile_units(found, problems, paths, out, catalog, allow_empty, step,
                         moves=moves, records=records)


def _unique_names(models: list[Unit]) -> Iterator[Diagnostic]:
    return checks.unique_names(
        ((p.environment, p.namespace, p.name), u, u.display, u.model.name_at)
        for u in models if u.model is not None for p in u.model.plans)


def compile_units(found: list[Unit], problems: list[Diagnostic], paths: list[Path], out: str,
                  catalog: Catalog, allow_empty: Collection[str] | None,
                  step: Step, serialize: Callable[[Rendered], str] = text_of, *,
                  moves: str = sharding.NO_MOVES, records: Path | None = None) -> Outcome:
    """The pipeline over units, parsed or given by a cache, in the order of their files;
    `problems` are what finding the files reported. `serialize` writes the platform-wide
    objects (a cache may remember texts: it must give what text_of gives)."""
    outcome = Outcome(list(problems) + [d for u in found for d in u.read])
    step("validate")
    for unit in found:
        units.validate_unit(unit)
        outcome.diagnostics += unit.schema or []
    valid = [u for u in found if u.has_source and not u.schema]
    if errors(outcome.diagnostics) and not any(u.kind == "Platform" for u in valid):
        return outcome  # a broken or missing file could be the Platform: no guessing
    platforms = [u for u in found if u.has_source and u.kind == "Platform"]
    models = [u for u in valid if u.kind == "ModelDeployment"]
    outcome.diagnostics += checks.platform_count([u.source for u in platforms], ", ".join(
        os.path.relpath(p) for p in paths))
    if len(platforms) != 1 or platforms[0] not in valid:
        return outcome

    step("check")
    platform = platform_from(platforms[0].source)
    digest = platforms[0].digest()
    outcome.diagnostics += checks.environment_names(platform)
    outcome.diagnostics += checks.config_sync_auth(platform)
    outcome.diagnostics += checks.no_inline_secrets(platform.source)
    version = kubernetes_api.schema_version(platform.kubernetes_version)
    if digest:  # on every core when there are many specs (same results as one process)
        parallel.prepare([u for u in models if u.model is None or u.model.platform != digest
                          or u.model.built is None], platform, digest, catalog, version, out)
    for unit in models:
        if unit.model is None or not digest or unit.model.platform != digest:
            units.check_model(unit, platform, digest, catalog)
    parts = [u.model for u in models if u.model is not None]
    outcome.diagnostics += [d for part in parts for d in part.found]
    outcome.diagnostics += _unique_names(models)
    outcome.diagnostics += [d for part in parts for d in part.problems]
    outcome.diagnostics += fleet.allow_empty_names(platform, allow_empty or ())
    if errors(outcome.diagnostics):
        return outcome
    before, unreadable = roots.previous(platform, records or Path(out))
    outcome.diagnostics += unreadable
    outcome.diagnostics += fleet.empty_roots(
        platform, [(p.environment, p.clusters) for part in parts for p in part.plans], out,
        allow_empty, before)
    if errors(outcome.diagnostics):
        return outcome

    step("build")
    ordered: list[tuple[str, PlanPart, Built]] = []
    for unit in models:
        assert unit.model is not None
        built = unit.model.built
        if built is None:
            built = units.build_model(unit, platform, catalog, version, out)
        ordered += [(unit.rel, part, b) for part, b in zip(unit.model.plans, built, strict=True)]
    ordered.sort(key=lambda item: (item[1].environment, item[1].namespace, item[1].name))
    shared = merge_shared((rel, b.shared) for rel, _, b in ordered)
    budget = roots.budget(platform, catalog)
    layouts = roots.layouts(platform, ordered, shared, before, budget, moves)
    outcome.diagnostics += fleet.sharding(
        platform, layouts, budget, out,
        {(p.environment, roots.key_of(p)): u.model.name_at
         for u in models if u.model is not None for p in u.model.plans},
        roots.objects_per_model(ordered), catalog)
    if errors(outcome.diagnostics):
        return outcome
    emitted = roots.place_objects(ordered, layouts, catalog)
    rest: list[Rendered] = shared + platform_objects(
        platform, [Member(p.environment, p.namespace, p.name, rel, b.charts)
                   for rel, p, b in ordered],
        [e.path for e in emitted] + [r.path for r in shared], catalog,
        {env: layout.shards for env, layout in layouts.items()},
        {env: [t.removeprefix(sharding.TENANT_PREFIX) for t in layout.tenants]
         for env, layout in layouts.items()})
    outcome.roots = fleet.root_counts(
        [(e.path, e.kind) for e in emitted] + [(r.path, r.obj.get("kind")) for r in rest])

    step("verify")
    if version is None:
        bugs = unsupported(platform.kubernetes_version, out)
    else:
        bugs = [d for _, _, b in ordered for d in b.problems]
        bugs += [d for item in rest for d in check_item(item, version, out)]
        bugs += duplicates([(e.path, e.identity) for e in emitted]
                           + [(r.path, synced(r)) for r in rest], out)
    outcome.diagnostics += bugs
    if bugs:
        outcome.bug = True
        return outcome
    outcome.tree = {e.path: e.text for e in emitted}
    outcome.tree.update((item.path, serialize(item)) for item in rest)
    outcome.tree.update(roots.records(platform, layouts, outcome.roots))
    return outcome
