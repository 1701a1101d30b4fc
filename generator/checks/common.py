"""What every rule module shares."""

from __future__ import annotations

from generator.catalog import Catalog
from generator.plan.records import Plan
from generator.plan.shape import Shape, ShapeError, shape_of

STEP = "check"


def valid_shape(plan: Plan, catalog: Catalog) -> Shape | None:
    """The plan's accelerator Shape; None when it has no type or is not one GKE offers
    (reported once, by the accelerator_shape rule)."""
    if "type" not in plan.spec["accelerator"]:
        return None
    try:
        return shape_of(plan.spec["accelerator"], catalog)
    except ShapeError:
        return None
