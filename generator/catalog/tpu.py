"""A Cloud TPU of accelerators.yaml, typed (catalog/typed.py reads it once at load)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TpuMachine:
    type: str
    vcpus: int
    memory_gb: float = field(metadata={"key": "memoryGB"})


@dataclass(frozen=True)
class Tpu:
    label: str  # the cloud.google.com/gke-tpu-accelerator value
    description: str
    dimensions: int  # of its topologies: 2 (2x4) or 3 (2x2x2)
    hbm_gb: float = field(metadata={"key": "hbmGB"})  # per chip
    chips_per_host: int
    single_host: tuple[str, ...]  # topologies of one host
    multi_host: tuple[str, ...]  # topologies of a slice of several hosts
    machines: Mapping[int, TpuMachine]  # chips per host -> its machine type
