"""Facts as data: accelerators, engines and GKE keys, read from the YAML files beside this
module. Code asks the catalog; it never repeats a fact."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class Machine:
    type: str
    gpus: int
    vcpus: int
    memory_gb: float


@dataclass(frozen=True)
class Gpu:
    name: str
    description: str
    memory_gb: float
    gfd_product: str
    bfloat16: bool
    machines: tuple[Machine, ...]
    mig_profiles: dict[str, int]
    architecture: str = "amd64"  # the CPU of the machines: images must be built for it

    @property
    def counts(self) -> list[int]:
        """GPU counts a single node offers, so the only values `accelerator.count` may take."""
        return sorted({m.gpus for m in self.machines})

    def machines_for(self, count: int) -> list[Machine]:
        """The machines carrying `count` of these GPUs, smallest first."""
        return sorted((m for m in self.machines if m.gpus == count),
                      key=lambda m: (m.vcpus, m.memory_gb))

    def smallest_machine(self, count: int) -> Machine | None:
        return next(iter(self.machines_for(count)), None)


@dataclass(frozen=True)
class Catalog:
    gpus: dict[str, Gpu]
    tpus: dict[str, dict[str, Any]]
    engines: dict[str, dict[str, Any]]
    gke: dict[str, Any]
    probes: dict[str, Any]
    autoscaling: dict[str, Any]
    dtype_bytes: dict[str, float]
    alerting: dict[str, Any]

    def engine(self, name: str, accelerator: str) -> dict[str, Any]:
        """An engine's facts, with what differs on this kind of accelerator (gpu, tpu,
        none), then on this accelerator itself, applied."""
        base = self.engines[name]
        variants = base.get("variants", {})
        return {**base, **variants.get(self.accelerator_kind(accelerator), {}),
                **variants.get(accelerator, {})}

    def accelerator_kind(self, name: str) -> str:
        """gpu, tpu or none."""
        if name in self.gpus:
            return "gpu"
        if name in self.tpus:
            return "tpu"
        return "none"


def _read(name: str) -> Any:
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _gpu(name: str, row: dict[str, Any]) -> Gpu:
    machines = tuple(Machine(m["type"], m["gpus"], m["vcpus"], m["memoryGB"])
                     for m in row["machines"])
    return Gpu(name, row["description"], row["memoryGB"], row["gfdProduct"], row["bfloat16"],
               machines, dict(row.get("migProfiles") or {}),
               row.get("architecture", "amd64"))


@cache
def load() -> Catalog:
    accelerators = _read("accelerators.yaml")
    engines = _read("engines.yaml")
    return Catalog(
        gpus={name: _gpu(name, row) for name, row in accelerators["gpus"].items()},
        tpus=accelerators["tpus"],
        engines=engines["engines"],
        gke=_read("gke.yaml"),
        probes=engines["probes"],
        autoscaling=engines["autoscaling"],
        dtype_bytes=engines["dtypeBytes"],
        alerting=engines["alerting"],
    )
