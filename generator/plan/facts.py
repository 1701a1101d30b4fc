"""What a plan means on GKE, worked out once when it is resolved: its accelerator shape,
its engine's facts and its model source. Checks and builders read these instead of asking
the catalog again.

A field is None where the spec is wrong; exactly one rule reports it (accelerator_shape,
the engine and source rules). Builders run only on plans that checked clean, so they read
the `checked` properties: the one place that narrows the Optionals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.catalog import Catalog
from generator.catalog.engine_entry import Engine
from generator.plan import model_source
from generator.plan.engine import engine_for
from generator.plan.shape import Shape, ShapeError, shape_of

CHECKED = "checked before use"


@dataclass(frozen=True)
class Facts:
    shape: Shape | None
    shape_error: ShapeError | None
    engine: Engine | None  # plan.engine.engine_for
    source: model_source.Source | None  # the model's, parsed

    @property
    def checked_shape(self) -> Shape:
        assert self.shape is not None, CHECKED
        return self.shape

    @property
    def checked_engine(self) -> Engine:
        assert self.engine is not None, CHECKED
        return self.engine

    @property
    def checked_source(self) -> model_source.Source:
        assert self.source is not None, CHECKED
        return self.source


def facts_of(spec: dict[str, Any], source: model_source.Source | None,
             catalog: Catalog) -> Facts:
    """The facts of a merged spec (every default filled in) and its parsed model source."""
    shape, error = None, None
    try:
        shape = shape_of(spec["accelerator"], catalog)
    except ShapeError as exc:
        error = exc
    try:
        engine: Engine | None = engine_for(spec, catalog)
    except KeyError:  # an engine the catalog does not know: the schema reports it
        engine = None
    return Facts(shape, error, engine, source)
