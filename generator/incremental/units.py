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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator import checks
from generator.catalog import Catalog
from generator.checks import fleet
from generator.diagnostics import Diagnostic, Location, errors
from generator.objects import dashboards, engines, model_objects, shared_objects, workload
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


class Texts:
    """A cached unit's texts, in order, read from the cache when the first is needed (most
    never are: output/text.py Tree). When they cannot be read (an entry damaged since), they
    are computed again from the spec, as a store must: an answer is what computing gives."""

    __slots__ = ("_read", "_texts", "unit")

    def __init__(self, read: Callable[[], list[str] | None]) -> None:
        self._read = read
        self._texts: list[str] | None = None
        self.unit: Unit | None = None  # set once the unit is made (codec.from_json)

    def __getitem__(self, index: int) -> str:
        if self._texts is None:
            texts = self._read()
            if texts is None:
                assert self.unit is not None and self.unit.context is not None
                texts = [text for built in _built_again(self.unit) for text in built.objects.texts]
            self._texts = texts
        return self._texts[index]


class Files:
    """One plan's objects, serialized: parallel tuples of their paths, kinds, the identity
    Config Sync syncs each as, and the digests of their texts. The texts themselves are
    given, or (from a cache) read only when first needed, from `Texts` at `start`."""

    __slots__ = ("paths", "kinds", "identities", "digests", "_texts", "_start")

    def __init__(self, paths: tuple[str, ...], kinds: tuple[str, ...],
                 identities: tuple[Identity | None, ...], digests: tuple[str, ...],
                 texts: Sequence[str] | Texts, start: int = 0) -> None:
        self.paths, self.kinds, self.identities, self.digests = paths, kinds, identities, digests
        self._texts, self._start = texts, start

    @classmethod
    def of(cls, paths: Iterable[str], kinds: Iterable[str],
           identities: Iterable[Identity | None], texts: Iterable[str]) -> Files:
        """Freshly built objects: each text's digest computed here."""
        listed = tuple(texts)
        return cls(tuple(paths), tuple(kinds), tuple(identities),
                   tuple(text_digest(text.encode("utf-8")) for text in listed), listed)

    def __len__(self) -> int:
        return len(self.paths)

    def text(self, index: int) -> str:
        return self._texts[self._start + index]

    @property
    def texts(self) -> list[str]:
        return [self.text(index) for index in range(len(self.paths))]

    def at(self, paths: tuple[str, ...]) -> Files:
        """The same objects at other paths (their root's), the texts still unread."""
        return Files(paths, self.kinds, self.identities, self.digests, self._texts, self._start)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Files) and (
            self.paths, self.kinds, self.identities, self.digests, self.texts) == (
            other.paths, other.kinds, other.identities, other.digests, other.texts)

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaces

    def __repr__(self) -> str:
        return f"Files({self.paths!r})"


@dataclass
class Built:
    """One plan's objects, the shared objects it asks for, its dashboard row, and what
    verifying its objects found (a bug in infergen when not empty)."""

    objects: Files
    shared: list[tuple[str, dict[str, Any]]]
    charts: str | None  # dashboards.charts_of as JSON text: decoded only to build a dashboard
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
    # what building it needs (the pipeline sets it): a cached unit's texts may be rebuilt
    context: Context | None = field(default=None, repr=False, compare=False)

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


@dataclass(frozen=True)
class Context:
    """What a unit is built against: the Platform, the catalog, the API version to verify
    against (None: skip) and the output folder."""

    platform: Platform
    catalog: Catalog
    version: str | None
    out: str


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
        # and no message repeats what it flags (a schema error prints the value it refuses)
        found, flagged = checks.no_inline_secrets(unit.source)
        unit.schema = checks.redact(validate.check(unit.source), flagged) + found


def check_model(unit: Unit, platform: Platform, digest: str, catalog: Catalog) -> ModelPart:
    """The spec's own rules and its plans' rules, against this Platform."""
    source = unit.source
    found = list(checks.model_environments(source, platform))
    found += checks.model_labels(source, catalog)
    found += checks.model_namespace(source)
    plans = [] if errors(found) else plans_for(source, platform, catalog)
    problems: list[Diagnostic] = []
    for plan in plans:
        problems += checks.check_plan(plan, catalog)
        problems += checks.server_overrides(plan, catalog, engines.derived_settings)
        problems += checks.extra_volumes(plan, catalog, workload.derived_mounts)
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
    if unit._plans is None:  # checked in an earlier run: plan again, as then
        unit._plans = plans_for(unit.source, platform, catalog)
    unit.model.built = _built(unit._plans, catalog, version, out)
    return unit.model.built


def _built_again(unit: Unit) -> list[Built]:
    """A cached unit's objects computed again (its texts could not be read), the unit left
    as it is."""
    context = unit.context
    assert context is not None
    plans = unit._plans or plans_for(unit.source, context.platform, context.catalog)
    return _built(plans, context.catalog, context.version, context.out)


def _built(plans: list[Plan], catalog: Catalog, version: str | None, out: str) -> list[Built]:
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
            Files.of((item.path for item in rendered),
                     (str(item.obj.get("kind")) for item in rendered),
                     (synced(item) for item in rendered),
                     ("" if problems else text_of(item) for item in rendered)),
            _plain_data(shared_objects(plan, catalog)),
            None if charts is None else json.dumps(charts, separators=(",", ":")), problems))
    return built


# ------------------------------------------------------------------ plain data for a cache

def _plain_data(value: Any) -> Any:
    """As a cache gives it back (tuples become lists), so a fresh unit and a cached one
    compare and serialize alike."""
    return json.loads(json.dumps(value))
