"""A Unit as plain data and the texts of its objects (kept apart: they are most of it), and
back: what the cache stores and what a worker process sends to the parent. Plain data is
what both JSON and marshal carry (dicts, lists, strings, numbers, None)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from generator.diagnostics import Diagnostic, Location, as_rows, from_rows
from generator.incremental.units import Built, Files, ModelPart, PlanPart, Texts, Unit


def _built_data(built: Built) -> dict[str, Any]:
    # Interned, the strings that repeat (kinds, groups, namespaces, names) are one object
    # each, which marshal writes once and reads back once: a pack loads twice as fast.
    files = built.objects
    return {"paths": files.paths, "kinds": tuple(map(sys.intern, files.kinds)),
            "identities": tuple(None if i is None else tuple(map(sys.intern, i))
                                for i in files.identities),
            "shared": built.shared, "charts": built.charts,
            "problems": as_rows(built.problems)}


def _rows(rows: list[list[Any]]) -> list[Diagnostic]:
    return from_rows(rows) if rows else []  # most are empty: 70,000 calls at 10,000 specs


def _built(data: dict[str, Any], texts: Sequence[str] | Texts, start: int,
           digests: Sequence[str]) -> Built:
    paths = tuple(data["paths"])
    files = Files(paths, tuple(data["kinds"]), tuple(data["identities"]),
                  tuple(digests[start:start + len(paths)]), texts, start)
    if not len(paths) == len(files.kinds) == len(files.identities) == len(files.digests):
        raise ValueError("an entry of another shape")
    return Built(files, [(path, obj) for path, obj in data["shared"]], data["charts"],
                 _rows(data["problems"]))


def summary(unit: Unit) -> tuple[dict[str, Any], list[str]]:
    """The unit as plain data, and the digests of its objects' texts, in order: all of it
    but the texts (which it never reads)."""
    data: dict[str, Any] = {"display": unit.display, "rel": unit.rel, "read": as_rows(unit.read),
                            "kind": unit.kind, "has_source": unit.has_source,
                            "schema": None if unit.schema is None else as_rows(unit.schema)}
    digests: list[str] = []
    model = unit.model
    if model is not None:
        data["model"] = {
            "platform": model.platform, "found": as_rows(model.found),
            "name_at": [model.name_at.file, model.name_at.line, model.name_at.column,
                        model.name_at.path],
            "plans": [[p.environment, p.namespace, p.name, p.clusters] for p in model.plans],
            "problems": as_rows(model.problems),
            "built": None if model.built is None else [_built_data(b) for b in model.built]}
        for built in model.built or []:
            digests += built.objects.digests
    return data, digests


def texts_of(unit: Unit) -> list[str]:
    """The texts of the unit's objects, in order (reads them)."""
    if unit.model is None:
        return []
    return [text for built in unit.model.built or [] for text in built.objects.texts]


def from_json(data: dict[str, Any], texts: Sequence[str] | Texts, raw: bytes,
              digests: Sequence[str]) -> Unit:
    """`texts` may be read only when needed (the cache's Texts), with their `digests`."""
    unit = Unit(data["display"], data["rel"], _rows(data["read"]), data["kind"],
                data["has_source"],
                None if data["schema"] is None else _rows(data["schema"]), raw=raw)
    start = 0  # where the next plan's digests (and texts) begin
    model = data.get("model")
    if model is not None:
        built: list[Built] | None = None
        if model["built"] is not None:
            built = []
            for entry in model["built"]:
                built.append(_built(entry, texts, start, digests))
                start += len(built[-1].objects)
        unit.model = ModelPart(
            model["platform"], _rows(model["found"]), Location(*model["name_at"]),
            [PlanPart(env, ns, name, tuple(clusters) if clusters is not None else None)
             for env, ns, name, clusters in model["plans"]],
            _rows(model["problems"]), built)
    if start != len(digests) or (
            unit.model is not None and unit.model.built is not None
            and len(unit.model.built) != len(unit.model.plans)):
        raise ValueError("an entry of another shape")
    if isinstance(texts, Texts):
        texts.unit = unit
    return unit
