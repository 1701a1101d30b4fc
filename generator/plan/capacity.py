"""What a resolved plan stands up: accelerators per replica, the nodes they need, on which
capacity (on-demand, Spot, Flex Start, a reservation), at minReplicas and at maxReplicas,
on which clusters. Read by `infergen diff` and `infergen cost`; pure, from the plan alone
(the rendered tree is not read), and the same machine the build puts in its ComputeClass."""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.catalog import Catalog
from generator.plan import sizing
from generator.plan.autoscaling import autoscaled
from generator.plan.records import Environment, Plan, Platform
from generator.plan.target import selected_clusters

# a Compute Engine region inside a cluster name: prod-us-central1 -> us-central1
REGION_IN_NAME = re.compile(r"(?<![a-z])(?:africa|asia|australia|europe|me|northamerica|"
                            r"southamerica|us)-[a-z]+[0-9]+(?![0-9])")


@dataclass(frozen=True)
class Demand:
    """One model in one environment: what each replica needs and how many replicas."""

    environment: str
    namespace: str
    model: str
    accelerator: str  # catalog name, or "none"
    kind: str  # gpu | tpu | none
    devices: int  # GPUs or TPU chips of one replica, every host together
    hosts: int  # nodes of one replica (> 1: a multi-host group)
    share: float  # the fraction of each node a pod uses (GPU sharing), else 1
    machine: str | None  # the machine type of each node, where infergen knows it
    machine_devices: int  # accelerators on that machine (a TPU VM's chips), 0 unknown
    provisioning: tuple[str, ...]  # in order of preference
    min_replicas: int
    max_replicas: int
    clusters: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.model}"

    def accelerators(self, replicas: int) -> float:
        """Accelerators `replicas` replicas hold on one cluster (a shared GPU counts as its
        share)."""
        return self.devices * self.share * replicas


def demand_of(plan: Plan, catalog: Catalog) -> Demand:
    shape = plan.facts.checked_shape
    spec = plan.spec
    machine = sizing.machine_for(shape, sizing.requests(spec, shape, catalog), catalog) \
        if shape.kind != "none" else None
    scaling = spec["scaling"]
    low = scaling["minReplicas"]
    high = scaling["maxReplicas"] if autoscaled(spec) else low
    per_host = shape.devices
    return Demand(plan.environment.name, plan.namespace, plan.name, shape.name, shape.kind,
                  per_host * shape.hosts, shape.hosts, shape.share,
                  machine.type if machine else None,
                  machine.gpus if machine else 0,
                  tuple(spec.get("capacity", {}).get("provisioning") or ("on-demand",)),
                  low, high, selected_clusters(plan) or plan.environment.clusters)


def region_of(cluster: str, environment: Environment, platform: Platform) -> str | None:
    """The cluster's region: as the Platform sets it, else the one in its name
    (prod-us-central1), else pricing.region; None when none is known."""
    given = dict(environment.regions).get(cluster)
    if given:
        return given
    found = REGION_IN_NAME.findall(cluster)
    return found[-1] if found else platform.pricing_region
