"""One spec file's part of the compile, computable on its own.

A Unit is what one file says (its load and schema diagnostics), then, for a valid
ModelDeployment, its plans checked against the Platform, then (once the whole run checks
clean) its objects built, verified and serialized. Everything spanning several specs (unique
names, namespaces, kustomizations, shared objects, dashboards, fleet rules) is the
pipeline's, from the small summaries kept here. A Unit is plain data, so a cache can keep
it (codec.py); the Source and Plans it was computed from live only in memory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from generator import checks
from generator.catalog import Catalog
from generator.checks import fleet
from generator.diagnostics import Diagnostic, Location, errors
from generator.objects import dashboards, engines, model_objects, shared_objects
from generator.output.text import digest as text_digest
from generator.output.text import text_of
from generator.plan.records import Plan, Platform
from generator.plan.resolve import plans_for
from generator.spec import validate
from generator.spec.load import Source, parse_file
from generator.verify import Identity, check_engine, check_item, synced


@dataclass
class PlanPart:
    """One plan of the spec, as the cross-spec rules see it."""

    environment: str
    namespace: str
    name: str
    clusters: tuple[str, ...] | None  # plan.target.selected_clusters


class Emitted:
    """A model object, serialized: its file, its text, its kind and the identity Config Sync
    syncs. A text from the cache may be a function that reads it, called when the text is
    first needed (output/text.py Tree: most never are), with its digest known without it."""

    __slots__ = ("path", "kind", "identity", "_text", "_digest")

    def __init__(self, path: str, text: str | Callable[[], str], kind: str,
                 identity: Identity | None, digest: str | None = None) -> None:
        self.path, self.kind, self.identity = path, kind, identity
        self._text, self._digest = text, digest

    @property
    def text(self) -> str:
        if not isinstance(self._text, str):
            self._text = self._text()
        return self._text

    @property
    def digest(self) -> str:
        if self._digest is None:
            self._digest = text_digest(self.text.encode("utf-8"))
        return self._digest

    def at(self, path: str) -> Emitted:
        """The same object at another path (its root's), its text still unread."""
        return Emitted(path, self._text, self.kind, self.identity, self._digest)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Emitted) and (self.path, self.text, self.kind, self.identity) \
            == (other.path, other.text, other.kind, other.identity)

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaces

    def __repr__(self) -> str:
        return f"Emitted({self.path!r}, {self.kind!r}, {self.identity!r})"


@dataclass
class Built:
    """One plan's objects, the shared objects it asks for, its dashboard row, and what
    verifying its objects found (a bug in infergen when not empty)."""

    objects: list[Emitted]
    shared: list[tuple[str, dict[str, Any]]]
    charts: list[dict[str, Any]] | None
    problems: list[Diagnostic]


@dataclass
class ModelPart:
    platform: str  # digest of the Platform file it was checked against
    found: list[Diagnostic]  # rules over the spec: environments, labels
    name_at: Location  # where metadata.name is written
    plans: list[PlanPart]
    problems: list[Diagnostic]  # the rules over each plan
    built: list[Built] | None = None  # one per plan, once built


@dataclass
class Unit:
    display: str
    rel: str
    read: list[Diagnostic]  # load diagnostics
    kind: str | None = None  # None: no document, or a kind that is not a string
    has_source: bool = False
    schema: list[Diagnostic] | None = None  # None until validated
    model: ModelPart | None = None
    raw: bytes | None = field(default=None, repr=False)
    _source: Source | None = field(default=None, repr=False)
    _plans: list[Plan] | None = field(default=None, repr=False)

    @property
    def source(self) -> Source:
        if self._source is None:  # a unit from a cache: parse it again when needed
            assert self.raw is not None
            found, _ = parse_file(self.raw, self.display, self.rel)
            self._source = found[0]
        return self._source

    def needs_check(self, platform: str) -> bool:
        """Not checked yet, or checked against another Platform (`platform`: its digest;
        "" when the Platform has no bytes, which matches nothing)."""
        return self.model is None or not platform or self.model.platform != platform

    def needs_build(self) -> bool:
        return self.model is not None and self.model.built is None

    def state(self) -> tuple[object, object, object]:
        """What a compile fills in: a unit whose state changed is worth keeping again."""
        return self.schema, self.model, self.model.built if self.model else None

    def digest(self) -> str:
        """Names this file's content where it is shown: "" (matches nothing) without bytes."""
        if self.raw is None:
            return ""
        return hashlib.sha256(f"{self.display}\0{self.rel}\0".encode() + self.raw).hexdigest()


RawFile = tuple[str, str, bytes | None, list[Diagnostic]]  # display, rel, bytes, problems


def unit_of(file: RawFile) -> Unit:
    display, rel, raw, unreadable = file
    return Unit(display, rel, unreadable) if raw is None else from_file(display, rel, raw)


def _kind(source: Source) -> str | None:
    kind = source.kind
    return kind if isinstance(kind, str) else None


def from_source(source: Source) -> Unit:
    return Unit(source.display, source.rel, [], _kind(source), True, _source=source)


def from_file(display: str, rel: str, raw: bytes) -> Unit:
    sources, problems = parse_file(raw, display, rel)
    if not sources:
        return Unit(display, rel, problems, raw=raw)
    unit = from_source(sources[0])
    unit.read, unit.raw = problems, raw
    return unit


def validate_unit(unit: Unit) -> None:
    if unit.has_source and unit.schema is None:
        # the secret scanner reads every document, valid or not: the spec is in Git either way
        unit.schema = validate.check(unit.source) + list(checks.no_inline_secrets(unit.source))


def check_model(unit: Unit, platform: Platform, digest: str, catalog: Catalog) -> ModelPart:
    """The spec's own rules and its plans' rules, against this Platform."""
    source = unit.source
    found = list(checks.model_environments(source, platform))
    found += checks.model_labels(source, catalog)
    plans = [] if errors(found) else plans_for(source, platform, catalog)
    problems: list[Diagnostic] = []
    for plan in plans:
        problems += checks.check_plan(plan, catalog)
        problems += checks.server_overrides(plan, catalog, engines.derived_settings)
        problems += fleet.cluster_selection(plan)
    unit._plans = plans
    unit.model = ModelPart(
        digest, found, source.document.locate(("metadata", "name")),
        [PlanPart(p.environment.name, p.namespace, p.name, fleet.placed(p)[1]) for p in plans],
        problems)
    return unit.model


def build_model(unit: Unit, platform: Platform, catalog: Catalog, version: str | None,
                out: str) -> list[Built]:
    """Build, verify (against API `version`; skipped when None) and serialize the spec's
    objects. Only called when the whole run checked clean."""
    assert unit.model is not None
    plans = unit._plans
    if plans is None:  # checked in an earlier run: plan again, as then
        plans = unit._plans = plans_for(unit.source, platform, catalog)
    built = []
    for plan in plans:
        rendered = model_objects(plan, catalog)
        problems = [d for item in rendered for d in check_item(item, version, out)] \
            if version is not None else []
        engine = plan.facts.checked_engine.contract or plan.spec["server"]["engine"]
        user_args = plan.spec["server"].get("args", [])
        problems += [d for item in rendered
                     for d in check_engine(item, engine, out, tuple(user_args))]
        built.append(Built(
            [Emitted(item.path, "" if problems else text_of(item), str(item.obj.get("kind")),
                     synced(item)) for item in rendered],
            _plain_data(shared_objects(plan, catalog)),
            _plain_data(dashboards.charts_of(plan, catalog)), problems))
    unit.model.built = built
    return built


# ------------------------------------------------------------------ plain data for a cache

def _plain_data(value: Any) -> Any:
    """As a cache gives it back (tuples become lists), so a fresh unit and a cached one
    compare and serialize alike."""
    return json.loads(json.dumps(value))
