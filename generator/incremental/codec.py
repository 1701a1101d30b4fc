"""A Unit as JSON data and the texts of its objects (kept apart: they are most of it), and
back: what the cache stores and what a worker process sends to the parent."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from generator.diagnostics import Location, as_rows, from_rows
from generator.incremental.units import Built, Emitted, ModelPart, PlanPart, Unit

Text = str | Callable[[], str]


def _built_json(built: Built, texts: list[str]) -> dict[str, Any]:
    texts += [e.text for e in built.objects]
    return {"objects": [[e.path, e.kind, e.identity] for e in built.objects],
            "shared": built.shared, "charts": built.charts, "problems": as_rows(built.problems)}


def _emitted(path: str, kind: str, identity: Any, text: tuple[Text, str | None]) -> Emitted:
    return Emitted(path, text[0], kind, tuple(identity) if identity else None, text[1])


def _built(data: dict[str, Any], texts: Iterator[tuple[Text, str | None]]) -> Built:
    return Built([_emitted(path, kind, identity, next(texts))
                  for path, kind, identity in data["objects"]],
                 [(path, obj) for path, obj in data["shared"]], data["charts"],
                 from_rows(data["problems"]))


def to_json(unit: Unit) -> tuple[dict[str, Any], list[str]]:
    """The unit as JSON data, and the texts of its objects, in order."""
    texts: list[str] = []
    data: dict[str, Any] = {"display": unit.display, "rel": unit.rel, "read": as_rows(unit.read),
                            "kind": unit.kind, "has_source": unit.has_source,
                            "schema": None if unit.schema is None else as_rows(unit.schema)}
    model = unit.model
    if model is not None:
        data["model"] = {
            "platform": model.platform, "found": as_rows(model.found),
            "name_at": [model.name_at.file, model.name_at.line, model.name_at.column,
                        model.name_at.path],
            "plans": [[p.environment, p.namespace, p.name, p.clusters] for p in model.plans],
            "problems": as_rows(model.problems),
            "built": None if model.built is None else [_built_json(b, texts)
                                                       for b in model.built]}
    return data, texts


def from_json(data: dict[str, Any], texts: Sequence[Text], raw: bytes,
              digests: Sequence[str] | None = None) -> Unit:
    """`texts` may be functions that read them (the cache's), with their `digests`."""
    remaining = iter(zip(texts, digests if digests is not None else [None] * len(texts),
                         strict=True))
    unit = Unit(data["display"], data["rel"], from_rows(data["read"]), data["kind"],
                data["has_source"],
                None if data["schema"] is None else from_rows(data["schema"]), raw=raw)
    model = data.get("model")
    if model is not None:
        unit.model = ModelPart(
            model["platform"], from_rows(model["found"]), Location(*model["name_at"]),
            [PlanPart(env, ns, name, tuple(clusters) if clusters is not None else None)
             for env, ns, name, clusters in model["plans"]],
            from_rows(model["problems"]),
            None if model["built"] is None else [_built(b, remaining) for b in model["built"]])
    if next(remaining, None) is not None or (
            unit.model is not None and unit.model.built is not None
            and len(unit.model.built) != len(unit.model.plans)):
        raise ValueError("an entry of another shape")
    return unit
