"""The orchestrator: the compiler from specs to a tree of manifests, step by step:
load -> schema -> resolve -> check -> build -> verify -> (serialize).

Pure: reads the spec files (and the placement records of the last render), returns
diagnostics and the tree as text; writing it is output/'s, called by the CLI. Every
problem of a step is collected; the compile stops between steps, never inside one.

Each spec file is a `units.Unit`, computed on its own (per_spec.py: the per-spec steps);
what spans several specs is computed here, every time, from the units' summaries. Two
collaborators only save time, and change no byte: a Store of earlier results
(incremental/cache.py), asked before anything is computed, and a pool of workers
(incremental/parallel.py), handed the function that checks and builds one unit. They run
no step themselves: incremental/ imports no step package. Only the orchestrator (this
module, per_spec.py and roots.py) imports incremental/.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Literal

from generator import checks, per_spec, roots
from generator.catalog import Catalog
from generator.checks import fleet
from generator.diagnostics import Diagnostic, errors
from generator.incremental import cache, codec, parallel
from generator.incremental.store import NO_STORE, Options, Store
from generator.incremental.units import Files, RawFile, Unit
from generator.objects import Member, dashboard_items, merge_shared, platform_objects
from generator.output import shard_record, sharding
from generator.output.layout import Deferred, Rendered
from generator.output.sharding import Layout, Previous
from generator.output.text import Stored, Tree, digests_of, text_of
from generator.plan.records import Platform
from generator.plan.resolve import platform_from
from generator.spec.load import Source, discover, load, read_raw
from generator.spec.yamlio import load_plain
from generator.verify import check_item, duplicates_among, kubernetes_api, synced, unsupported


@dataclass(frozen=True)
class Run:
    """What to compile. `mode` validate: an empty environment root is a warning; render:
    an error, unless its environment is in `allow_empty`. `platform_fallback`: a specs folder
    whose Platform is used when the paths hold none; `extra`: documents not on disk yet
    (`infergen new`). `moves` (output/sharding.py) starts or completes moves of models
    between roots; `records`: the tree whose placement of models is kept (default `out`)."""

    paths: tuple[Path, ...]
    out: str = "rendered"
    mode: Literal["validate", "render"] = "validate"
    allow_empty: frozenset[str] = frozenset()
    platform_fallback: Path | None = None
    extra: tuple[Source, ...] = ()
    moves: str = sharding.NO_MOVES
    records: Path | None = None
    reuse: bool = True  # a store may answer a known run with its tree's digests alone

    @property
    def options(self) -> Options:
        return Options(self.paths, self.out,
                       None if self.mode == "validate" else self.allow_empty, self.moves)


@dataclass
class Outcome:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    tree: Mapping[str, str] | None = None  # path inside the output folder -> text
    bug: bool = False  # the generator, not the specs, is at fault
    # the tree's text.digests_of, where a store knows; a known run gives them without a tree
    digests: dict[str, str] | None = None
    roots: dict[str, int] | None = None  # objects per Config Sync root (its folder)

    @property
    def failed(self) -> bool:
        return bool(errors(self.diagnostics)) or (self.tree is None and self.digests is None)


Step = Callable[[str], None]


def _quiet(name: str) -> None:
    return None


def compile(run: Run, catalog: Catalog, store: Store = NO_STORE,
            progress: Step = _quiet) -> Outcome:
    """The seven steps, in order; `progress` hears the name of each as it starts."""
    progress("load")
    files, problems = read_files(list(run.paths))                             # 1 load
    # what the run reads from the last render (its placement records) is part of its key
    options = replace(run.options, records=shard_record.fingerprint(Path(run.out)))
    known = store.finished(options, files, problems)
    if known is not None and run.reuse:  # these exact inputs: their tree's digests, no text
        return Outcome(known.diagnostics, None, known.bug, known.digests, known.roots)
    found = _with_platform([store.unit(f) or per_spec.unit_of(f) for f in files],
                           run.platform_fallback)
    found += [per_spec.from_source(s) for s in run.extra]
    outcome = Outcome(list(problems) + [d for u in found for d in u.read])
    progress("validate")
    valid = _validate(found, run, outcome)                                     # 2 schema
    if valid is None:
        return _remember(store, found, outcome)
    digest, platform = valid
    progress("check")
    models = [u for u in found if u.kind == "ModelDeployment" and u.has_source
              and not errors(u.schema or [])]  # warnings (a needless waiver) still build
    version = kubernetes_api.schema_version(platform.kubernetes_version)
    context = per_spec.Context(platform, catalog, version, run.out)
    _check(models, context, digest, outcome)                                   # 3-4
    before = _cross_spec(models, platform, run, outcome, partial(store.parsed, load_plain))
    if before is None or errors(outcome.diagnostics):
        return _remember(store, found, outcome)
    progress("build")
    tree = _build(models, context, run, before, outcome)                      # 5 build
    if errors(outcome.diagnostics):
        return _remember(store, found, outcome)
    progress("verify")
    _verify(tree, platform, version, run.out, outcome, store.verified)         # 6 verify
    if not outcome.bug:  # the platform-wide objects' texts (a store may remember them)
        outcome.tree = _tree(tree, platform, outcome, store.serialize,
                             None if store is NO_STORE else partial(store.parsed, load_plain))
    return _remember(store, found, outcome)                      # 7 write: output/


def compile_specs(paths: list[Path], out: str, catalog: Catalog,
                  platform_fallback: Path | None = None, *,
                  allow_empty: Collection[str] | None = None,
                  extra: Sequence[Source] = (), progress: Step | None = None,
                  moves: str = sharding.NO_MOVES, records: Path | None = None) -> Outcome:
    """compile() without a store, for the side commands and tests: `allow_empty` None
    validates, a collection renders."""
    run = Run(tuple(paths), out, "validate" if allow_empty is None else "render",
              frozenset(allow_empty or ()), platform_fallback, tuple(extra), moves, records)
    return compile(run, catalog, progress=progress or _quiet)


def store_for(out: Path) -> Store:
    """The cache beside the output folder (none with INFERGEN_CACHE=off)."""
    if not cache.enabled():
        return NO_STORE
    return cache.DiskCache(cache.folder_for(out))


# ------------------------------------------------------------------ the steps

def read_files(paths: list[Path]) -> tuple[list[RawFile], list[Diagnostic]]:
    """The bytes of every spec file found (None when unreadable), and what finding them
    reported."""
    files, problems = discover(paths)
    return [checks.named_by_a_credential(read_raw(file, root)) for file, root in files], \
        problems


def _with_platform(found: list[Unit], fallback: Path | None) -> list[Unit]:
    """Validating single files still needs the Platform for cross-checks: take the one in
    the specs folder when the files given hold none."""
    if any(u.has_source and u.kind == "Platform" for u in found) or fallback is None \
            or not fallback.is_dir():
        return found
    extra, _ = load([fallback])
    return found + [per_spec.from_source(s) for s in extra if s.kind == "Platform"]


def _validate(found: list[Unit], run: Run,
              outcome: Outcome) -> tuple[str, Platform] | None:
    """Every file against its schema; the one valid Platform's digest, and the Platform
    resolved (None: stop)."""
    for unit in found:
        per_spec.validate_unit(unit)
        outcome.diagnostics += unit.schema or []
    valid = [u for u in found if u.has_source and not errors(u.schema or [])]
    if errors(outcome.diagnostics) and not any(u.kind == "Platform" for u in valid):
        return None  # a broken or missing file could be the Platform: no guessing
    platforms = [u for u in found if u.has_source and u.kind == "Platform"]
    outcome.diagnostics += checks.platform_count(
        [per_spec.source_of(u) for u in platforms], ", ".join(map(os.path.relpath, run.paths)))
    if len(platforms) != 1 or platforms[0] not in valid:
        return None
    return platforms[0].digest(), platform_from(per_spec.source_of(platforms[0]))


def _check_and_build(unit: Unit, context: per_spec.Context, digest: str
                     ) -> tuple[tuple[dict[str, Any], list[str]], list[str]]:
    """One unit checked and, when it checks clean, built: what a worker sends back."""
    if unit.needs_check(digest):
        per_spec.check_model(unit, context.platform, digest, context.catalog)
    assert unit.model is not None
    if unit.needs_build() and not errors(unit.model.found + unit.model.problems):
        per_spec.build_model(unit, context)
    return codec.summary(unit), codec.texts_of(unit)


def _check(models: list[Unit], context: per_spec.Context, digest: str,
           outcome: Outcome) -> None:
    """Steps 3-4 for every spec: the Platform's own rules, then each model's plans
    (`digest` names the Platform's file: a unit checked against it is not checked again)."""
    platform = context.platform
    outcome.diagnostics += checks.environment_names(platform)
    outcome.diagnostics += checks.config_sync_auth(platform)
    pending = [u for u in models if u.needs_check(digest) or u.needs_build()]
    count = parallel.workers(len(pending)) if digest else 1
    if count > 1:  # on every core (the same results as one process)
        work = partial(_check_and_build, context=context, digest=digest)
        for unit, ((data, digests), texts) in zip(
                pending, parallel.map_units(work, pending, count), strict=True):
            unit.model = codec.from_json(data, texts, unit.raw or b"", digests).model
    for unit in models:
        if unit.needs_check(digest):
            per_spec.check_model(unit, platform, digest, context.catalog)


def _unique_names(models: list[Unit]) -> Iterator[Diagnostic]:
    return checks.unique_names(
        ((p.environment, p.namespace, p.name), u, u.display, u.model.name_at)
        for u in models if u.model is not None for p in u.model.plans)


def _cross_spec(models: list[Unit], platform: Platform, run: Run, outcome: Outcome,
                parse: Callable[[str], Any]) -> dict[str, Previous] | None:
    """The rules that span specs: unique names, then (on a clean run) empty roots, against
    what the last render left in each environment (returned; None: stop). `parse`: the
    placement records' YAML (a store remembers it: 10,000 lines each at fleet scale)."""
    parts = [u.model for u in models if u.model is not None]
    outcome.diagnostics += [d for part in parts for d in part.found]
    outcome.diagnostics += _unique_names(models)
    outcome.diagnostics += [d for part in parts for d in part.problems]
    allow = run.options.allow_empty
    outcome.diagnostics += fleet.allow_empty_names(platform, allow or ())
    if errors(outcome.diagnostics):
        return None
    before, unreadable = roots.previous(platform, run.records or Path(run.out), parse)
    outcome.diagnostics += unreadable
    outcome.diagnostics += fleet.empty_roots(
        platform, [(p.environment, p.clusters) for part in parts for p in part.plans],
        run.out, allow, before)
    return before


Ordered = roots.Ordered


@dataclass
class Assembled:
    """Step 5's result: each model's objects (`ordered`; `placed` at their paths in their
    roots), the platform-wide objects (`rest`, and the dashboards `deferred`), and each
    environment's roots."""

    ordered: Ordered
    placed: list[Files]
    rest: list[Rendered]
    layouts: dict[str, Layout]
    deferred: list[Deferred] = field(default_factory=list)  # built only where needed


def _build(models: list[Unit], context: per_spec.Context, run: Run,
           before: dict[str, Previous], outcome: Outcome) -> Assembled:
    """Step 5: each spec's objects (built, or given by the store), placed into their
    environment's roots (sticky, output/sharding.py), then the platform-wide ones."""
    platform, catalog = context.platform, context.catalog
    ordered: Ordered = []
    for unit in models:
        assert unit.model is not None
        built = unit.model.built
        if built is None:
            built = per_spec.build_model(unit, context)
        else:  # a cached unit whose texts cannot be read builds them again
            per_spec.remember_how(unit, context)
        ordered += [(unit.rel, part, b) for part, b in zip(unit.model.plans, built, strict=True)]
    ordered.sort(key=lambda item: (item[1].environment, item[1].namespace, item[1].name))
    shared = merge_shared((rel, b.shared) for rel, _, b in ordered)
    budget = roots.budget(platform, catalog)
    per_model = roots.objects_per_model(ordered)
    layouts = roots.layouts(platform, per_model, shared, before, budget, run.moves)
    outcome.diagnostics += fleet.sharding(
        platform, layouts, budget, run.out,
        {(p.environment, roots.key_of(p)): u.model.name_at
         for u in models if u.model is not None for p in u.model.plans},
        per_model, catalog)
    if errors(outcome.diagnostics):
        return Assembled(ordered, [], [], layouts)
    placed = roots.place_objects(ordered, layouts, catalog)
    members = [Member(p.environment, p.namespace, p.name, rel, b.charts)
               for rel, p, b in ordered]
    rest: list[Rendered] = shared + platform_objects(
        platform, members, roots.files_by_root(placed, shared), catalog,
        {env: layout.shards for env, layout in layouts.items()},
        {env: [t.removeprefix(sharding.TENANT_PREFIX) for t in layout.tenants]
         for env, layout in layouts.items()})
    outcome.roots = fleet.root_counts([(r.path, r.obj.get("kind")) for r in rest],
                                      roots.counted(placed))
    return Assembled(ordered, placed, rest, layouts, dashboard_items(platform, members, catalog))


def _verify(tree: Assembled, platform: Platform, version: str | None, out: str,
            outcome: Outcome, verified: Callable[[str], bool]) -> None:
    """Step 6: every object against the API, CRD and Config Sync rules; a failure is a bug
    in infergen. A deferred object a store `verified` before is not built again for it."""
    ordered, placed, rest = tree.ordered, tree.placed, tree.rest
    if version is None:
        bugs = unsupported(platform.kubernetes_version, out)
    else:
        bugs = [d for _, _, b in ordered for d in b.problems]
        bugs += [d for item in rest for d in check_item(item, version, out)]
        bugs += [d for item in tree.deferred if not verified(_name(item))
                 for d in check_item(item.rendered, version, out)]
        bugs += duplicates_among(
            [(files.paths, files.identities) for files in placed]
            + [((r.path,), (synced(r),)) for r in rest], out)
    outcome.diagnostics += bugs
    outcome.bug = bool(bugs)


def _tree(tree: Assembled, platform: Platform, outcome: Outcome,
          serialize: Callable[[str, Callable[[], str]], str | Stored],
          parse: Callable[[str], Any] | None) -> Tree:
    """Every file's text: the models' objects (a cached one read only if it is written),
    the platform-wide objects, and the placement record of each sharded environment (parsed
    through `parse` now, which a store remembers: the next render reads it, and a record
    this run changed would cost it 0.05 s of YAML at 10,000 specs)."""
    texts = Tree()
    for files in tree.placed:
        texts.add_group(files)
    for item in tree.rest:
        texts.add(item.path, serialize(_name(item), partial(text_of, item)))
    for deferred in tree.deferred:
        texts.add(deferred.path, serialize(_name(deferred), partial(_text_of, deferred)))
    for path, text in roots.records(platform, tree.layouts, outcome.roots or {}).items():
        texts.add(path, text)
        if parse is not None:  # without a store, nothing would keep it
            parse(text)
    return texts


def _name(item: Rendered | Deferred) -> str:
    """All an object's text is written from, for a store to know it by: a deferred object
    by its inputs (it is never built to be looked up)."""
    if isinstance(item, Deferred):
        return f"{item.path}\0{item.inputs}"
    return repr((item.sources, item.obj))


def _text_of(item: Deferred) -> str:
    return text_of(item.rendered)


def _remember(store: Store, found: list[Unit], outcome: Outcome) -> Outcome:
    outcome.digests = None if outcome.tree is None else digests_of(outcome.tree)
    store.remember(found, outcome.diagnostics, outcome.digests, outcome.bug, outcome.roots)
    return outcome
