"""How one replica splits the model over its accelerators (accelerator.parallelism):
tensor x pipeline x data = the replica's accelerators. By default tensor parallelism inside
a node and, for a group of GPU nodes, pipeline parallelism across them; a data-parallel
rank holds a whole copy of the model on accelerators / data of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.plan.shape import Shape

KINDS = ("tensor", "pipeline", "data")


@dataclass(frozen=True)
class Layout:
    tensor: int
    pipeline: int
    data: int

    @property
    def product(self) -> int:
        return self.tensor * self.pipeline * self.data

    def size(self, kind: str) -> int:
        return int(getattr(self, kind))


def accelerators(shape: Shape) -> int:
    """Accelerators of one replica, across its hosts."""
    return max(shape.devices, 1) * shape.hosts


def layout(spec: dict[str, Any], shape: Shape) -> Layout:
    """The spec's layout; a kind it leaves out is 1, but tensor, which takes what is left."""
    given = spec["accelerator"].get("parallelism")
    if given is None:
        if shape.kind == "gpu" and shape.multi_host:
            return Layout(max(shape.devices, 1), shape.hosts, 1)
        return Layout(accelerators(shape), 1, 1)
    pipeline, data = given.get("pipeline", 1), given.get("data", 1)
    tensor = given.get("tensor", max(accelerators(shape) // (pipeline * data), 1))
    return Layout(tensor, pipeline, data)
