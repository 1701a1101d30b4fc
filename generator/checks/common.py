"""What every rule module shares."""

from __future__ import annotations

from generator.catalog import Catalog
from generator.plan.records import Plan
from generator.plan.shape import Shape

STEP = "check"


def valid_shape(plan: Plan, catalog: Catalog) -> Shape | None:
    """The plan's accelerator Shape; None when it has no type or is not one GKE offers
    (reported once, by the accelerator_shape rule)."""
    if "type" not in plan.spec["accelerator"]:
        return None
    return plan.facts.shape
