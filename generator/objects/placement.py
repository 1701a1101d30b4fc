"""Where a model's pods may run: accelerator node labels, GPU sharing, capacity
(Spot, Flex Start, reservations) and, for several choices in order, a ComputeClass.

One provisioning choice is expressed with node selectors and tolerations only. Several are
a cluster-scoped ComputeClass with one priority per choice, in order, and the pod selects
the class. Its name is derived from its content, so models asking for the same capacity
share one class, and different asks never collide.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from generator.catalog import Catalog
from generator.objects import labels
from generator.plan import sizing
from generator.plan.records import Plan
from generator.plan.shape import Shape
from generator.plan.target import portable


def uses_compute_class(plan: Plan) -> bool:
    return len(plan.spec["capacity"]["provisioning"]) > 1


def _accelerator_selector(plan: Plan, shape: Shape, catalog: Catalog) -> dict[str, str]:
    labels = catalog.gke.labels
    accelerator = plan.spec["accelerator"]
    if shape.kind == "tpu":
        return {labels.tpu_accelerator: catalog.tpus[shape.name].label,
                labels.tpu_topology: accelerator["topology"]}
    if shape.kind != "gpu":
        return {}
    selector = {labels.gpu_accelerator: shape.name}
    if "driverVersion" in accelerator:
        selector[labels.gpu_driver_version] = accelerator["driverVersion"]
    sharing = accelerator.get("sharing")
    if sharing is None:
        return selector
    if sharing["strategy"] == "mig":
        selector[labels.gpu_partition_size] = sharing["partitionSize"]
    else:
        strategy = catalog.gke.gpu_sharing[sharing["strategy"]].node_label
        selector[labels.gpu_sharing_strategy] = strategy
        selector[labels.gpu_max_shared_clients] = str(sharing["maxSharedClients"])
    return selector


def _accelerator_tolerations(shape: Shape, catalog: Catalog) -> list[dict[str, Any]]:
    if shape.kind in ("gpu", "tpu"):
        return [dict(catalog.gke.tolerations[shape.kind])]
    return []


def _portable_placement(plan: Plan, shape: Shape, catalog: Catalog) -> dict[str, Any]:
    if shape.kind != "gpu":
        return {}
    product = catalog.gpus[shape.name].gfd_product
    return {"nodeSelector": {catalog.gke.labels.gpu_product: product},
            "tolerations": _accelerator_tolerations(shape, catalog)}


def pod_placement(plan: Plan, shape: Shape, catalog: Catalog) -> dict[str, Any]:
    """nodeSelector and tolerations of the model's pods."""
    if portable(plan):
        return _portable_placement(plan, shape, catalog)
    provisioning = plan.spec["capacity"]["provisioning"]
    tolerations = _accelerator_tolerations(shape, catalog)
    if uses_compute_class(plan):
        selector = {catalog.gke.labels.compute_class: compute_class_name(plan, shape,
                                                                              catalog)}
        # GKE adds the class's own toleration; Spot and Flex Start taints are ours to
        # tolerate, because the class may place the pod on such nodes.
        for choice in provisioning:
            tolerations += [dict(t) for t in catalog.gke.provisioning[choice].tolerations]
    else:
        choice = catalog.gke.provisioning[provisioning[0]]
        selector = {**_accelerator_selector(plan, shape, catalog), **choice.node_selector}
        if provisioning[0] == "reservation":
            selector[catalog.gke.reservation_name_label] = plan.spec["capacity"]["reservation"]
        tolerations += [dict(t) for t in choice.tolerations]
    placement: dict[str, Any] = {}
    if selector:
        placement["nodeSelector"] = selector
    if tolerations:
        placement["tolerations"] = tolerations
    return placement


# ---------------------------------------------------------------- ComputeClass

def _accelerator_rule(plan: Plan, shape: Shape, catalog: Catalog) -> dict[str, Any]:
    accelerator = plan.spec["accelerator"]
    rule: dict[str, Any] = {}
    # the smallest machine on which the pod's requests fit (bigger ones when set by hand)
    machine = sizing.machine_for(shape, sizing.requests(plan.spec, shape, catalog),
                                    catalog)
    if machine is not None:
        rule["machineType"] = machine.type
    if shape.kind == "gpu":
        gpu: dict[str, Any] = {"type": shape.name, "count": shape.devices,
                               "driverVersion": accelerator.get(
                                   "driverVersion", catalog.gke.compute_class.driver_version)}
        sharing = accelerator.get("sharing")
        if sharing is not None and sharing["strategy"] == "mig":
            gpu["gpuSharing"] = {"gpuPartitionSize": sharing["partitionSize"]}
        elif sharing is not None:
            gpu["gpuSharing"] = {
                "sharingStrategy": catalog.gke.gpu_sharing[sharing["strategy"]].compute_class,
                "maxSharedClientsPerGPU": sharing["maxSharedClients"]}
        rule["gpu"] = gpu
    elif shape.kind == "tpu":
        rule["tpu"] = {"type": catalog.tpus[shape.name].label, "count": shape.devices,
                       "topology": accelerator["topology"]}
    else:
        rule["machineFamily"] = catalog.gke.compute_class.cpu_machine_family
    return rule


def _priority(choice: str, base: dict[str, Any], plan: Plan, catalog: Catalog) -> dict[str, Any]:
    defaults = catalog.gke.compute_class
    rule = dict(base)
    if choice == "spot":
        rule["spot"] = True
    elif choice == "flex-start":
        rule["flexStart"] = {"enabled": True, "nodeRecycling": {
            "leadTimeSeconds": defaults.flex_start_node_recycling_lead_time_seconds}}
        rule["maxRunDurationSeconds"] = defaults.flex_start_max_run_duration_seconds
    elif choice == "reservation":
        rule["reservations"] = {"affinity": "Specific",
                                "specific": [{"name": plan.spec["capacity"]["reservation"]}]}
    return rule


def _class_spec(plan: Plan, shape: Shape, catalog: Catalog) -> dict[str, Any]:
    base = _accelerator_rule(plan, shape, catalog)
    return {
        "priorities": [_priority(choice, base, plan, catalog)
                       for choice in plan.spec["capacity"]["provisioning"]],
        "nodePoolAutoCreation": {"enabled": True},
        "whenUnsatisfiable": catalog.gke.compute_class.when_unsatisfiable,
        # move pods back to the preferred capacity when it becomes available again
        "activeMigration": {"optimizeRulePriority": True},
    }


def compute_class_name(plan: Plan, shape: Shape, catalog: Catalog,
                       spec: dict[str, Any] | None = None) -> str:
    """`<env>-<accelerator>-<count>-<hash of the class>`, at most 63 characters (it is a
    node label value). `spec` is the class's, when the caller has built it."""
    spec = spec if spec is not None else _class_spec(plan, shape, catalog)
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:8]
    what = f"{shape.name}-{shape.devices}" if shape.kind != "none" else "cpu"
    prefix = f"{plan.environment.name}-{what}"[: 63 - len(digest) - 1]
    return f"{prefix.rstrip('-')}-{digest}"


def compute_class(plan: Plan, shape: Shape, catalog: Catalog) -> dict[str, Any] | None:
    if not uses_compute_class(plan) or portable(plan):
        return None
    spec = _class_spec(plan, shape, catalog)
    return {"apiVersion": catalog.kubernetes.api("ComputeClass"), "kind": "ComputeClass",
            "metadata": {"name": compute_class_name(plan, shape, catalog, spec),
                         "labels": labels.platform_labels(plan.platform.name)},
            "spec": spec}
