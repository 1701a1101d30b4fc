"""Rules about the accelerator and the capacity a model asks for."""

from __future__ import annotations

from collections.abc import Iterator

from generator.catalog import Catalog
from generator.checks.common import STEP, valid_shape
from generator.diagnostics import Diagnostic
from generator.plan import memory_fit, parallelism, sizing
from generator.plan.records import Plan
from generator.plan.target import portable


def accelerator_given(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """Every model says which accelerator it runs on."""
    if "type" not in plan.spec["accelerator"]:
        yield plan.locate("accelerator").diagnostic(
            STEP, "accelerator.type is required", "for example `accelerator: {type: nvidia-l4}`")


def topology_for_tpus(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """Only TPUs have a topology."""
    accelerator = plan.spec["accelerator"]
    if "topology" in accelerator and accelerator.get("type") not in catalog.tpus:
        yield plan.locate("accelerator", "topology").diagnostic(
            STEP, "accelerator.topology applies to TPUs only")


def accelerator_shape(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """The accelerator is one GKE offers: GPU counts per node, sharing rules, TPU topology."""
    error = plan.facts.shape_error
    if "type" in plan.spec["accelerator"] and error is not None:
        yield plan.locate("accelerator", *error.field.split(".")).diagnostic(
            STEP, error.message, error.hint)


def gpu_dtype(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """bfloat16 needs a GPU that computes in it."""
    gpu = catalog.gpus.get(plan.spec["accelerator"].get("type", ""))
    if gpu is not None and not gpu.bfloat16 and plan.spec["model"]["dtype"] == "bfloat16":
        yield plan.locate("model", "dtype").diagnostic(
            STEP, f"{gpu.name} does not support bfloat16", "use float16")


def memory_fits(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """The weights plus a reserve fit the accelerator memory of one replica."""
    found = memory_fit.problem(plan.spec, catalog)
    if found is not None:
        message, hint = found
        yield plan.locate("model", "parameters").diagnostic(STEP, message, hint)


def resources_fit(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """Explicit CPU and memory fit a node that carries the accelerator."""
    if not plan.spec["server"].get("resources"):
        return
    shape = valid_shape(plan, catalog)
    if shape is None:
        return
    if shape.machine is None:
        return
    wanted = sizing.requests(plan.spec, shape, catalog)
    if sizing.machine_for(shape, wanted, catalog) is None:
        largest = sizing.derived(shape, catalog, catalog.gpus[shape.name].machines_for(
            shape.devices)[-1] if shape.kind == "gpu" else shape.machine)
        yield plan.locate("server", "resources").diagnostic(
            STEP, f"cpu {wanted.get('cpu')} and memory {wanted.get('memory')} do not fit any "
            f"node with {shape.devices}x {shape.name} (at most cpu {largest['cpu']}, memory "
            f"{largest['memory']})", "lower them, or remove them to derive them")


def capacity_choices(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """A reservation is named exactly when it is used; preemptible capacity has a spare."""
    capacity = plan.spec["capacity"]
    uses = "reservation" in capacity["provisioning"]
    if uses and "reservation" not in capacity:
        yield plan.locate("capacity", "provisioning").diagnostic(
            STEP, "provisioning includes reservation but capacity.reservation is not set",
            "name the Compute Engine reservation")
    if not uses and "reservation" in capacity:
        yield plan.locate("capacity", "reservation").diagnostic(
            STEP, "capacity.reservation is set but provisioning does not include reservation")
    risky = [c for c in ("spot", "flex-start") if c in capacity["provisioning"]]
    if risky and plan.spec["scaling"]["maxReplicas"] == 1:
        days = catalog.gke.compute_class.flex_start_max_run_duration_seconds // 86400
        reasons = {"spot": "Spot VMs can be preempted at any time",
                   "flex-start": f"Flex Start VMs run at most {days} days"}
        stable = {"on-demand", "reservation"} & set(capacity["provisioning"])
        hint = ("allow maxReplicas of 2 or more: a replacement takes minutes to load the model"
                if stable else "allow maxReplicas of 2 or more, or add on-demand as a fallback")
        yield plan.locate("capacity", "provisioning").diagnostic(
            STEP, f"a single replica on {' or '.join(risky)} capacity will go down: "
            + "; ".join(reasons[c] for c in risky), hint, "warning")


def tensor_parallel_power_of_two(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """Engines that split attention heads across devices (catalog `headsSplit`): sizes
    that are not powers of two rarely divide them."""
    if not plan.facts.checked_engine.heads_split:
        return
    shape = valid_shape(plan, catalog)
    if shape is None:
        return
    tensor = parallelism.layout(plan.spec, shape).tensor
    if tensor > 1 and tensor & (tensor - 1):
        field = ("parallelism", "tensor") if "parallelism" in plan.spec["accelerator"] \
            else ("count",)
        yield plan.locate("accelerator", *field).diagnostic(
            STEP, f"tensor parallel size {tensor} is not a power of two; most models' "
            "attention heads will not divide evenly", "use 1, 2, 4 or 8 devices per node",
            "warning")


def parallel_layout(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """accelerator.parallelism multiplies out to the replica's accelerators, and the engine
    has each kind of parallelism it asks for."""
    given = plan.spec["accelerator"].get("parallelism")
    shape = valid_shape(plan, catalog)
    if given is None or shape is None or plan.facts.engine is None:
        return
    if shape.kind == "none":
        yield plan.locate("accelerator", "parallelism").diagnostic(
            STEP, "accelerator.parallelism splits a model over GPUs or TPUs; a CPU replica "
            "has none", "remove it")
        return
    layout = parallelism.layout(plan.spec, shape)
    total = parallelism.accelerators(shape)
    if layout.product != total:
        yield plan.locate("accelerator", "parallelism").diagnostic(
            STEP, f"tensor {layout.tensor} x pipeline {layout.pipeline} x data {layout.data} "
            f"= {layout.product}, but a replica has {total} accelerators",
            f"make the product {total}, or change accelerator.count")
    if layout.data > 1 and shape.multi_host:
        yield plan.locate("accelerator", "parallelism", "data").diagnostic(
            STEP, f"data parallelism across the {shape.hosts} nodes of a group: infergen "
            "starts a group as one server spread over its nodes (--nnodes), serving one copy "
            "of the model",
            "use data parallelism inside one node, or more replicas")
    name = plan.spec["server"]["engine"]
    options = plan.facts.engine.parallelism or {}
    for kind in parallelism.KINDS:
        if layout.size(kind) > 1 and kind not in options:
            has = ", ".join(k for k in parallelism.KINDS if k in options) or "none"
            yield plan.locate("accelerator", "parallelism", kind).diagnostic(
                STEP, f"engine {name} has no {kind} parallelism (it has: {has})",
                f"remove {kind}, or use an engine that has it (vllm, sglang)")


def driver_version(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """accelerator.driverVersion is a GKE GPU node selector: GPUs on GKE only."""
    accelerator = plan.spec["accelerator"]
    if "driverVersion" not in accelerator or "type" not in accelerator:
        return
    if catalog.accelerator_kind(accelerator["type"]) != "gpu":
        yield plan.locate("accelerator", "driverVersion").diagnostic(
            STEP, f"accelerator.driverVersion applies to GPUs only, not {accelerator['type']}",
            "remove it")
    elif portable(plan):
        yield plan.locate("accelerator", "driverVersion").diagnostic(
            STEP, "accelerator.driverVersion is GKE's node selector: a portable environment "
            f"({plan.environment.name}) installs its own drivers", "remove it, or set it in "
            "spec.environments of the GKE environments only")
