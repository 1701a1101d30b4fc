"""One spec file's part of the compile, as plain data a cache can keep (codec.py).

A Unit is what one file says (its load and schema diagnostics), then, for a valid
ModelDeployment, its plans checked against the Platform, then (once the whole run checks
clean) its objects built, verified and serialized. The steps that fill it in are the
orchestrator's (generator/per_spec.py); everything spanning several specs is the pipeline's,
from the small summaries kept here. What a unit was computed from (its parsed document and
plans) lives only in memory, and is opaque here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.diagnostics import Diagnostic, Location

Identity = tuple[str, str, str, str]  # what Config Sync syncs an object as (verify.synced)


@dataclass
class PlanPart:
    """One plan of the spec, as the cross-spec rules see it."""

    environment: str
    namespace: str
    name: str
    clusters: tuple[str, ...] | None  # plan.target.selected_clusters


class Texts:
    """A cached unit's texts, in order, read from the cache when the first is needed (most
    never are: output/text.py Tree). When they cannot be read (an entry damaged since), the
    unit's `rebuild` (the orchestrator's) computes them again from the spec, as a store
    must: an answer is what computing gives."""

    __slots__ = ("_read", "_texts", "unit")

    def __init__(self, read: Callable[[], list[str] | None]) -> None:
        self._read = read
        self._texts: list[str] | None = None
        self.unit: Unit | None = None  # set once the unit is made (codec.from_json)

    def __getitem__(self, index: int) -> str:
        if self._texts is None:
            texts = self._read()
            if texts is None:
                assert self.unit is not None and self.unit.rebuild is not None
                texts = self.unit.rebuild()
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
    # in memory only, the orchestrator's: the parsed document and the plans (a unit from a
    # cache has neither until they are needed), and how to compute its texts again
    parsed: Any = field(default=None, repr=False, compare=False)
    plans: Any = field(default=None, repr=False, compare=False)
    rebuild: Callable[[], list[str]] | None = field(default=None, repr=False, compare=False)

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
