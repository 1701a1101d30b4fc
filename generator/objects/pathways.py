"""The LeaderWorkerSet of an engine that runs on Pathways (jetstream-maxtext), as GKE's
tutorial "Serve LLMs using multi-host TPUs on GKE with JetStream and Pathways" lays it out:
a group of hosts + 1 pods per replica. The leader lands on a node of the slice without
taking a TPU and runs the Pathways proxy, the resource manager, the server (one JAX client
for the whole slice) and its HTTP front end; each worker runs a Pathways server on one TPU
host, with all of its chips."""

from __future__ import annotations

import math
from typing import Any

from generator.catalog import Catalog
from generator.catalog.engine_entry import Pathways
from generator.objects import engines, security
from generator.objects.resources import guaranteed
from generator.objects.workload import ROLE_LABEL, group_set, pod_template
from generator.plan import sizing
from generator.plan.engine import home_env
from generator.plan.records import Plan


def leader_worker_set(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    pathways = plan.facts.checked_engine.pathways
    if pathways is None:
        return None
    return group_set(
        plan, catalog,
        size=plan.facts.checked_shape.hosts + 1,  # the leader, and a worker per TPU host
        max_surge=0,  # a surge would need a whole second slice: replace one group at a time
        leader=_pod(plan, catalog, "leader", _leader(plan, catalog, pathways)),
        worker=_pod(plan, catalog, "worker", [_worker(plan, catalog, pathways)]))


def _pod(plan: Plan, catalog: Catalog, role: str,
         containers: list[dict[str, Any]]) -> dict[str, Any]:
    """The model's pod template (placement on the slice, security), with these containers.
    MaxText reads the checkpoint from Cloud Storage itself: no bucket is mounted."""
    template = pod_template(plan, catalog)
    template["metadata"]["labels"][ROLE_LABEL] = role
    template["metadata"]["annotations"] = {**catalog.gke.annotations.safe_to_evict,
                                           **security.pod_annotations(plan.spec)}
    template["spec"]["containers"] = containers
    template["spec"]["volumes"] = security.volumes()
    return template


def _scratch(plan: Plan) -> str:
    return f"--gcs_scratch_location={plan.spec['server']['pathways']['scratch']}"


def _part(plan: Plan, catalog: Catalog, name: str, image: str, port: int,
          args: list[str], size: dict[str, Any]) -> dict[str, Any]:
    # HOME on the emptyDir too: the root file system is read-only
    return {"name": f"pathways-{name}", "image": image, "args": args, "env": home_env(catalog),
            "ports": [{"name": f"pw-{name}", "containerPort": port, "protocol": "TCP"}],
            "resources": guaranteed(size),
            "securityContext": security.container_context(plan.spec),
            "volumeMounts": security.mounts(None, catalog)}


def _server_size(plan: Plan, pathways: Pathways) -> dict[str, str]:
    given = {k: sizing.quantity(v) for k, v in plan.spec["server"].get("resources", {}).items()}
    return {**pathways.leader_resources["server"], **given}


def _leader(plan: Plan, catalog: Catalog, pathways: Pathways) -> list[dict[str, Any]]:
    accelerator = plan.spec["accelerator"]
    instance = f"{pathways.instance_types[accelerator['type']]}:{accelerator['topology']}"
    rm = pathways.resource_manager
    sizes = pathways.leader_resources
    proxy = _part(plan, catalog, "proxy", pathways.proxy.image, pathways.proxy.port,
                  [f"--resource_manager_address={catalog.gke.leader_address}:{rm.port}",
                   f"--server_port={pathways.proxy.port}", _scratch(plan)], dict(sizes["proxy"]))
    manager = _part(plan, catalog, "rm", rm.image, rm.port,
                    [f"--server_port={rm.port}", _scratch(plan),
                     "--node_type=resource_manager", "--instance_count=1",
                     f"--instance_type={instance}"], dict(sizes["resourceManager"]))
    manager["env"] += [{"name": "HOST_ADDRESS", "value": catalog.gke.leader_address},
                       {"name": "TPU_SKIP_MDS_QUERY", "value": "true"}]
    server, frontend = engines.containers(plan.spec, plan.facts, catalog)
    # the JAX client takes no TPU (Pathways drives the workers' chips) and mounts no bucket
    server["resources"] = guaranteed(_server_size(plan, pathways))
    server["volumeMounts"] = security.mounts(plan.facts.checked_engine, catalog)
    return [proxy, manager, server, frontend]


def _leader_total(plan: Plan, pathways: Pathways) -> tuple[float, float]:
    """(millicores, MiB) the leader's containers request."""
    frontend = plan.facts.checked_engine.frontend
    sizes = [dict(pathways.leader_resources["proxy"]),
             dict(pathways.leader_resources["resourceManager"]), _server_size(plan, pathways),
             {k: sizing.quantity(v) for k, v in (frontend.resources if frontend else {}).items()}]
    return (sum(sizing.millicores(s["cpu"]) or 0 for s in sizes),
            sum(sizing.mebibytes(s["memory"]) or 0 for s in sizes))


def worker_size(plan: Plan, catalog: Catalog) -> dict[str, str]:
    """A TPU host's allocatable CPU and memory, less room for the leader, which may land
    on any node of the slice beside a worker."""
    pathways = plan.facts.checked_engine.pathways
    assert pathways is not None, "a Pathways engine"
    node = sizing.derived(plan.facts.checked_shape, catalog)
    cpu, memory = _leader_total(plan, pathways)
    free_cpu = (sizing.millicores(node["cpu"]) or 0) - cpu
    free_mib = (sizing.mebibytes(node["memory"]) or 0) - memory
    return {"cpu": sizing.cpu_quantity(math.floor(free_cpu / 100) * 100),
            "memory": sizing.memory_quantity(math.floor(free_mib / 1024) * 1024)}


def _worker(plan: Plan, catalog: Catalog, pathways: Pathways) -> dict[str, Any]:
    shape = plan.facts.checked_shape
    worker, rm = pathways.worker, pathways.resource_manager
    manager = f"{catalog.gke.leader_address}:{rm.port}"
    size: dict[str, Any] = {**worker_size(plan, catalog),
                            catalog.gke.resources["tpu"]: shape.devices}
    return _part(plan, catalog, "worker", worker.image, worker.port,
                 [f"--server_port={worker.port}", f"--resource_manager_address={manager}",
                  _scratch(plan)], size)
