"""The orchestrator's per-spec half: one spec file through load, schema, resolve, checks,
build, verify and serialization, recorded on its Unit (incremental/units.py). The pipeline
runs these in order, itself or in a worker pool (incremental/parallel.py), and hands a
cached unit the function that computes its texts again (`rebuild`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from generator import checks
from generator.catalog import Catalog
from generator.checks import fleet
from generator.diagnostics import errors
from generator.incremental.units import Built, Files, Identity, ModelPart, PlanPart, RawFile, Unit
from generator.objects import dashboards, engines, model_objects, shared_objects, workload
from generator.output.text import digest, text_of
from generator.plan.records import Plan, Platform
from generator.plan.resolve import plans_for
from generator.spec import validate
from generator.spec.load import Source, parse_file
from generator.verify import check_engine, check_item, synced


@dataclass(frozen=True)
class Context:
    """What a unit is built against: the Platform, the catalog, the API version to verify
    against (None: skip) and the output folder."""

    platform: Platform
    catalog: Catalog
    version: str | None
    out: str


def unit_of(file: RawFile) -> Unit:
    display, rel, raw, unreadable = file
    return Unit(display, rel, unreadable) if raw is None else from_file(display, rel, raw)


def from_source(source: Source) -> Unit:
    kind = source.kind
    return Unit(source.display, source.rel, [], kind if isinstance(kind, str) else None, True,
                parsed=source)


def from_file(display: str, rel: str, raw: bytes) -> Unit:
    sources, problems = parse_file(raw, display, rel)
    if not sources:
        return Unit(display, rel, problems, raw=raw)
    unit = from_source(sources[0])
    unit.read, unit.raw = problems, raw
    return unit


def source_of(unit: Unit) -> Source:
    """The unit's document; a unit from a cache is parsed again when it is needed."""
    if unit.parsed is None:
        assert unit.raw is not None
        found, _ = parse_file(unit.raw, unit.display, unit.rel)
        unit.parsed = found[0]
    source: Source = unit.parsed
    return source


def files_of(paths: Iterable[str], kinds: Iterable[str], identities: Iterable[Identity | None],
             texts: Iterable[str]) -> Files:
    """Freshly serialized objects, with their texts' digests."""
    listed = tuple(texts)
    return Files(tuple(paths), tuple(kinds), tuple(identities),
                 tuple(digest(text.encode("utf-8")) for text in listed), listed)


def validate_unit(unit: Unit) -> None:
    if unit.has_source and unit.schema is None:
        # the secret scanner reads every document, valid or not: the spec is in Git either way
        # and no message repeats what it flags (a schema error prints the value it refuses)
        source = source_of(unit)
        found, flagged = checks.no_inline_secrets(source)
        unit.schema = checks.redact(validate.check(source), flagged) + found


def check_model(unit: Unit, platform: Platform, digest_: str, catalog: Catalog) -> ModelPart:
    """The spec's own rules and its plans' rules, against this Platform (`digest_`: its
    file's)."""
    source = source_of(unit)
    found = list(checks.model_environments(source, platform))
    found += checks.model_labels(source, catalog)
    found += checks.model_namespace(source)
    plans = [] if errors(found) else plans_for(source, platform, catalog)
    problems = []
    for plan in plans:
        problems += checks.check_plan(plan, catalog)
        problems += checks.server_overrides(plan, catalog, engines.derived_settings)
        problems += checks.extra_volumes(plan, catalog, workload.derived_mounts)
        problems += fleet.cluster_selection(plan)
    unit.plans = plans
    unit.model = ModelPart(
        digest_, found, source.document.locate(("metadata", "name")),
        [PlanPart(p.environment.name, p.namespace, p.name, fleet.placed(p)[1]) for p in plans],
        problems)
    return unit.model


def build_model(unit: Unit, context: Context) -> list[Built]:
    """Build, verify (skipped without an API version) and serialize the spec's objects.
    Only called when the whole run checked clean."""
    assert unit.model is not None
    if unit.plans is None:  # checked in an earlier run: plan again, as then
        unit.plans = plans_for(source_of(unit), context.platform, context.catalog)
    unit.model.built = _built(unit.plans, context)
    return unit.model.built


def remember_how(unit: Unit, context: Context) -> None:
    """Let a cached unit whose texts cannot be read compute them again, the unit left as
    it is."""
    unit.rebuild = partial(_texts_again, unit, context)


def _texts_again(unit: Unit, context: Context) -> list[str]:
    plans = unit.plans or plans_for(source_of(unit), context.platform, context.catalog)
    return [text for built in _built(plans, context) for text in built.objects.texts]


def _built(plans: list[Plan], context: Context) -> list[Built]:
    catalog, version, out = context.catalog, context.version, context.out
    built = []
    for plan in plans:
        rendered = model_objects(plan, catalog)
        problems = [d for item in rendered for d in check_item(item, version, out)] \
            if version is not None else []
        engine = plan.facts.checked_engine.contract or plan.spec["server"]["engine"]
        user_args = plan.spec["server"].get("args", [])
        problems += [d for item in rendered
                     for d in check_engine(item, engine, out, tuple(user_args))]
        charts = dashboards.charts_of(plan, catalog)
        built.append(Built(
            files_of((item.path for item in rendered),
                     (str(item.obj.get("kind")) for item in rendered),
                     (synced(item) for item in rendered),
                     ("" if problems else text_of(item) for item in rendered)),
            _plain_data(shared_objects(plan, catalog)),
            None if charts is None else json.dumps(charts, separators=(",", ":")), problems))
    return built


def _plain_data(value: Any) -> Any:
    """As a cache gives it back (tuples become lists), so a fresh unit and a cached one
    compare and serialize alike."""
    return json.loads(json.dumps(value))
