"""CPU and memory requests that fit the node a model lands on (a fact of the plan: the
machine-fit check and the builders both read it).

GKE provisions GPUs with a machine shape: the smallest shape carrying the requested GPU
count is the one every node pool (and node auto-provisioning) can offer. The request is
that shape's allocatable capacity (what GKE keeps for the kubelet and system is in the
catalog) minus room for GKE's own DaemonSets, so the pod always fits beside them.
"""

from __future__ import annotations

import math
import re
from typing import Any

from generator.catalog import Catalog, Machine
from generator.catalog.gke import Tier
from generator.plan.shape import Shape

GIB_PER_GB = 1.0  # Compute Engine quotes machine memory in GB that are GiB


def _reserved(amount: float, tiers: tuple[Tier, ...]) -> float:
    reserved, lower = 0.0, 0.0
    for tier in tiers:
        upper = amount if tier.up_to is None else min(amount, tier.up_to)
        if upper > lower:
            reserved += (upper - lower) * tier.fraction
        lower = upper if tier.up_to is None else tier.up_to
        if amount <= lower:
            break
    return reserved


def allocatable(machine: Machine, catalog: Catalog) -> tuple[int, int]:
    """(millicores, MiB) a pod may request on a node of this machine type."""
    rules = catalog.gke.node_reserved
    cpu = machine.vcpus - _reserved(machine.vcpus, rules.cpu_cores) - rules.daemon_set_cpu
    memory_gib = machine.memory_gb * GIB_PER_GB
    memory_gib -= _reserved(memory_gib, rules.memory_gib) + rules.daemon_set_memory_gib
    memory_mib = memory_gib * 1024 - rules.eviction_mib
    # round down to tidy units so small catalog changes don't churn every manifest
    return math.floor(cpu * 10) * 100, math.floor(memory_mib / 1024) * 1024


def cpu_quantity(millicores: int) -> str:
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


def memory_quantity(mib: int) -> str:
    return f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"


def quantity(value: Any) -> str:
    """A spec quantity (string or number) as Kubernetes writes it."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


_CPU = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m?)$")
_MEMORY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$")
_MEMORY_MIB = {None: 1 / 2**20, "Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 2**20,
               "k": 1e3 / 2**20, "M": 1e6 / 2**20, "G": 1e9 / 2**20, "T": 1e12 / 2**20}


def millicores(value: str) -> float | None:
    match = _CPU.match(value)
    if not match:
        return None
    return float(match[1]) * (1 if match[2] else 1000)


def mebibytes(value: str) -> float | None:
    match = _MEMORY.match(value)
    return float(match[1]) * _MEMORY_MIB[match[2]] if match else None


def derived(shape: Shape, catalog: Catalog, machine: Machine | None = None) -> dict[str, str]:
    """cpu and memory one pod may request on `machine` (default: the shape's own), given its
    share of the node (a time-shared GPU's pod gets 1/clients of it)."""
    machine = machine or shape.machine
    if machine is None:
        return {}
    cpu, mib = allocatable(machine, catalog)
    if shape.share < 1:  # round shares down to 100m and 256Mi steps
        cpu = math.floor(cpu * shape.share / 100) * 100
        mib = math.floor(mib * shape.share / 256) * 256
    return {"cpu": cpu_quantity(cpu), "memory": memory_quantity(mib)}


def requests(spec: dict[str, Any], shape: Shape, catalog: Catalog,
             fallback: dict[str, str] | None = None) -> dict[str, str]:
    """cpu and memory for the engine container: the spec's, else derived from the node,
    else the engine's own defaults (on a CPU node)."""
    given = {k: quantity(v) for k, v in spec["server"].get("resources", {}).items()}
    base = derived(shape, catalog) or {k: quantity(v) for k, v in (fallback or {}).items()}
    return {**base, **given}


def _fits(offered: dict[str, str], wanted: dict[str, str]) -> bool:
    cpu_ok = (millicores(offered["cpu"]) or 0) >= (millicores(wanted.get("cpu", "0")) or 0)
    memory_ok = (mebibytes(offered["memory"]) or 0) >= (mebibytes(wanted.get("memory", "0")) or 0)
    return cpu_ok and memory_ok


def machine_for(shape: Shape, wanted: dict[str, str], catalog: Catalog) -> Machine | None:
    """The smallest machine carrying the shape's GPUs on which `wanted` still fits."""
    if shape.kind != "gpu":
        return shape.machine if shape.machine and _fits(derived(shape, catalog), wanted) \
            else None
    return next((m for m in catalog.gpus[shape.name].machines_for(shape.devices)
                 if _fits(derived(shape, catalog, m), wanted)), None)
