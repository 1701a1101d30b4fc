"""What one replica of a model gets from its accelerator choice: devices per pod, pods per
replica, accelerator memory, the machine shape of its nodes and its share of that machine.

One function decides this for checks (is the choice possible? does the model fit?) and for
the build (requests, node selectors, LeaderWorkerSet size), so they never disagree.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from generator.catalog import Catalog, Machine
from generator.catalog.tpu import TpuMachine


@dataclass(frozen=True)
class Shape:
    kind: str                   # gpu, tpu or none
    name: str                   # catalog name (nvidia-l4, tpu-v5e, none)
    devices: int                # GPUs or TPU chips requested by each pod
    hosts: int                  # pods (nodes) per replica: > 1 is a multi-host group
    memory_gb: float            # accelerator memory of one replica, all hosts together
    machine: Machine | None     # the node shape each pod lands on
    share: float = 1.0          # fraction of the machine one pod may use (GPU sharing)

    @property
    def multi_host(self) -> bool:
        return self.hosts > 1


class ShapeError(Exception):
    """The accelerator fields describe something GKE cannot provide."""

    def __init__(self, field: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.field, self.message, self.hint = field, message, hint


def partition_gb(profile: str) -> float:
    """MIG profile memory: `1g.10gb` -> 10."""
    match = re.fullmatch(r"\d+g\.(\d+)gb", profile)
    return float(match[1]) if match else 0.0


def _gpu_shape(accelerator: dict[str, Any], catalog: Catalog) -> Shape:
    gpu = catalog.gpus[accelerator["type"]]
    count = accelerator["count"]
    sharing = accelerator.get("sharing")
    if sharing is not None:
        return _shared_gpu_shape(gpu.name, count, sharing, catalog)
    largest = max(gpu.counts)
    if count in gpu.counts:
        hosts, per_host = 1, count
    elif count > largest and count % largest == 0:
        hosts, per_host = count // largest, largest  # several full nodes, one group
    else:
        raise ShapeError("count", f"{count} is not one of {gpu.counts} for {gpu.name}, nor a "
                         f"multiple of {largest} (several nodes)",
                         "GKE nodes of this type carry only these GPU counts")
    return Shape("gpu", gpu.name, per_host, hosts, gpu.memory_gb * count,
                 gpu.smallest_machine(per_host))


def _shared_gpu_shape(name: str, count: int, sharing: dict[str, Any],
                      catalog: Catalog) -> Shape:
    gpu = catalog.gpus[name]
    strategy = sharing["strategy"]
    if count != 1:
        raise ShapeError("count", f"a container using {strategy} may request only 1 GPU, "
                         f"not {count}", "GKE's device plugin refuses more; use sharing "
                         "only for models that fit one (shared) GPU")
    machine = gpu.smallest_machine(1)
    if strategy == "mig":
        if not gpu.mig_profiles:
            raise ShapeError("sharing.strategy", f"{gpu.name} has no MIG partitions",
                             "use time-sharing or mps")
        profile = sharing.get("partitionSize")
        if profile is None:
            raise ShapeError("sharing", "strategy mig needs sharing.partitionSize",
                             "one of: " + ", ".join(gpu.mig_profiles))
        if profile not in gpu.mig_profiles:
            raise ShapeError("sharing.partitionSize",
                             f"{profile} is not a MIG profile of {gpu.name}",
                             "one of: " + ", ".join(gpu.mig_profiles))
        if "maxSharedClients" in sharing:
            raise ShapeError("sharing.maxSharedClients",
                             "maxSharedClients applies to time-sharing and mps, not mig",
                             "a MIG partition serves one container")
        return Shape("gpu", name, 1, 1, partition_gb(profile), machine,
                     share=1 / gpu.mig_profiles[profile])
    clients = sharing.get("maxSharedClients")
    if clients is None:
        raise ShapeError("sharing", f"strategy {strategy} needs sharing.maxSharedClients",
                         "the number of containers sharing one GPU, for example 4")
    if "partitionSize" in sharing:
        raise ShapeError("sharing.partitionSize", f"partitionSize applies to mig, not {strategy}")
    return Shape("gpu", name, 1, 1, gpu.memory_gb / clients, machine, share=1 / clients)


def shape_of(accelerator: dict[str, Any], catalog: Catalog) -> Shape:
    """The Shape of a resolved `accelerator` block; ShapeError when GKE cannot provide it."""
    kind = catalog.accelerator_kind(accelerator.get("type", "none"))
    if kind == "gpu":
        return _gpu_shape(accelerator, catalog)
    if accelerator.get("sharing") is not None:
        raise ShapeError("sharing", "sharing applies to GPUs only")
    if kind == "tpu":
        return _tpu_shape(accelerator, catalog)
    return Shape("none", "none", 0, 1, 0.0, None)


# ---------------------------------------------------------------------------- TPUs

def _dims(topology: str) -> list[int]:
    return [int(d) for d in topology.split("x")]


def _tpu_shape(accelerator: dict[str, Any], catalog: Catalog) -> Shape:
    name = accelerator["type"]
    tpu = catalog.tpus[name]
    topology = accelerator.get("topology")
    if topology is None:
        examples = ", ".join(list(tpu.single_host)[:3])
        raise ShapeError("type", f"{name} needs accelerator.topology",
                         f"for example {examples}")
    dims = _dims(topology)
    if len(dims) != tpu.dimensions:
        example = next(iter(tpu.single_host))
        raise ShapeError("topology", f"{name} topologies have {tpu.dimensions} dimensions, "
                         f"not {len(dims)}", f"for example {example}")
    chips = math.prod(dims)
    if accelerator.get("count", chips) != chips:
        raise ShapeError("count", f"{accelerator['count']} chips do not match topology "
                         f"{topology} ({chips} chips)", f"remove count or set it to {chips}")
    if topology in tpu.single_host:
        machine = tpu.machines.get(chips)
        return Shape("tpu", name, chips, 1, chips * tpu.hbm_gb, _machine(machine, chips))
    if topology not in tpu.multi_host:
        allowed = ", ".join([*tpu.single_host, *tpu.multi_host])
        raise ShapeError("topology", f"{topology} is not a {name} topology GKE offers",
                         f"one of: {allowed}")
    per_host = tpu.chips_per_host
    machine = tpu.machines.get(per_host)
    return Shape("tpu", name, per_host, chips // per_host, chips * tpu.hbm_gb,
                 _machine(machine, per_host))


def _machine(row: TpuMachine | None, chips: int) -> Machine | None:
    if row is None:
        return None
    return Machine(row.type, chips, row.vcpus, row.memory_gb)
