"""The serving workload: ServiceAccount, the Deployment (one pod per replica) or the
LeaderWorkerSet (a group of pods per replica, for multi-host TPU slices and multi-node
GPU serving), and the Service in front of it."""

from __future__ import annotations

import dataclasses
from typing import Any

from generator.catalog import Catalog
from generator.objects import (
    engines,
    extra_volumes,
    labels,
    lora_syncer,
    placement,
    security,
    storage,
)
from generator.objects.probes import startup_seconds
from generator.plan import autoscaling
from generator.plan.records import Plan
from generator.plan.target import portable

ROLE_LABEL = "infergen.dev/role"


def autoscaled(plan: Plan) -> bool:
    return autoscaling.autoscaled(plan.spec)


def scale_target(plan: Plan, catalog: Catalog) -> dict[str, str]:
    """What the HPA scales: a Deployment, or a LeaderWorkerSet's groups."""
    if plan.facts.checked_shape.multi_host:
        return {"apiVersion": catalog.kubernetes.api("LeaderWorkerSet"),
                "kind": "LeaderWorkerSet", "name": plan.name}
    return {"apiVersion": catalog.kubernetes.api("Deployment"), "kind": "Deployment",
            "name": plan.name}


def serving_selector(plan: Plan, catalog: Catalog) -> dict[str, str]:
    """Pods that serve requests and metrics: all of them, or each group's leader."""
    if plan.facts.checked_shape.multi_host:
        return {**labels.selector(plan), ROLE_LABEL: "leader"}
    return labels.selector(plan)


def service_account(plan: Plan, catalog: Catalog) -> dict[str, Any]:
    annotations = {}
    gsa = plan.spec.get("identity", {}).get("gcpServiceAccount")
    if gsa:
        annotations[catalog.gke.workload_identity_annotation] = gsa
    meta = labels.metadata(plan, **({"annotations": annotations} if annotations else {}))
    return {"apiVersion": catalog.kubernetes.api("ServiceAccount"), "kind": "ServiceAccount",
            "metadata": meta,
            "automountServiceAccountToken": False}


def pod_template(plan: Plan, catalog: Catalog, role: str | None = None) -> dict[str, Any]:
    shape = plan.facts.checked_shape
    engine = plan.facts.checked_engine
    pod_labels = labels.common(plan)
    if not portable(plan):  # how Google's samples and GKE dashboards find servers
        keys = catalog.gke.labels
        pod_labels.update({keys.model: plan.name,
                           keys.inference_server: engine.gke_server_label})
    if role is not None:
        pod_labels[ROLE_LABEL] = role
    if not plan.spec["monitoring"]["logAlerts"]:
        pod_labels[labels.LOG_ALERTS] = "false"  # left out of the log-based metrics
    spec: dict[str, Any] = {
        "serviceAccountName": plan.name,
        "automountServiceAccountToken": False,
        # No Service's env vars: a Service named vllm injects VLLM_PORT=tcp://..., which
        # vLLM refuses, and one named master breaks TGI's MASTER_PORT (audit row 11).
        "enableServiceLinks": False,
        **placement.pod_placement(plan, shape, catalog),
    }
    sharing = plan.spec["accelerator"].get("sharing") or {}
    if sharing.get("strategy") == "mps":
        spec["hostIPC"] = True  # GKE's MPS clients reach the node's MPS daemon over IPC
    spec.update({
        "securityContext": security.pod_context(catalog, plan.spec),
        "terminationGracePeriodSeconds": 60,
        **({"initContainers": sidecars} if (sidecars := lora_syncer.sidecars(
            plan, catalog, role)) else {}),
        "containers": engines.containers(plan.spec, plan.facts, catalog, role),
        "volumes": _volumes(plan, catalog),
    })
    annotations = {**catalog.gke.annotations.safe_to_evict,
                   **storage.pod_annotations(plan.spec, plan.facts.source, catalog),
                   **security.pod_annotations(plan.spec)}
    return {"metadata": {"labels": pod_labels, "annotations": annotations}, "spec": spec}


def _volumes(plan: Plan, catalog: Catalog) -> list[dict[str, Any]]:
    found = storage.volumes(plan.spec, plan.facts.source, catalog) + security.volumes()
    secret = engines.token_secret(plan.spec)
    if secret is not None:
        found += storage.token_volume(secret, plan.facts.checked_engine)
    return found + lora_syncer.volumes(plan, catalog) + extra_volumes.volumes(plan.spec)


def derived_mounts(plan: Plan, catalog: Catalog) -> tuple[list[str], list[str]]:
    """The volume names and the engine's mount paths infergen renders for a plan, without
    the spec's own server.volumes: what checks.volumes keeps them from clashing with."""
    server = {k: v for k, v in plan.spec["server"].items() if k != "volumes"}
    bare = dataclasses.replace(plan, spec={**plan.spec, "server": server})
    names = [v["name"] for v in _volumes(bare, catalog)]
    main = engines.container(bare.spec, plan.facts, catalog)
    return names, [m["mountPath"] for m in main.get("volumeMounts", [])]


def _replicas(plan: Plan) -> dict[str, int]:
    # With an HPA there is no replicas field: the HPA owns it, and Config Sync would
    # otherwise reset it on every sync.
    return {} if autoscaled(plan) else {"replicas": plan.spec["scaling"]["minReplicas"]}


def deployment(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    if plan.facts.checked_shape.multi_host:
        return None
    spec: dict[str, Any] = {
        **_replicas(plan),
        "selector": {"matchLabels": labels.selector(plan)},
        # Bring a new replica up before the old one goes: no capacity drop during rollouts.
        "strategy": {"type": "RollingUpdate",
                     "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        # A rollout may legitimately take as long as a model load.
        "progressDeadlineSeconds": startup_seconds(plan.spec, catalog) + 600,
        "template": pod_template(plan, catalog),
    }
    return {"apiVersion": catalog.kubernetes.api("Deployment"), "kind": "Deployment",
            "metadata": labels.metadata(plan),
            "spec": spec}


def leader_worker_set(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    shape = plan.facts.checked_shape
    if not shape.multi_host or plan.facts.checked_engine.pathways is not None:
        return None  # a Pathways engine's group is objects/pathways.py's
    return group_set(plan, catalog, size=shape.hosts, max_surge=1,
                     leader=pod_template(plan, catalog, "leader"),
                     worker=pod_template(plan, catalog, "worker"))


def group_set(plan: Plan, catalog: Catalog, *, size: int, max_surge: int,
              leader: dict[str, Any], worker: dict[str, Any]) -> dict[str, Any]:
    """A LeaderWorkerSet of one group of `size` pods per replica, with these pod templates
    (a multi-node engine's here, a Pathways engine's in objects/pathways.py)."""
    # One group per node pool: a TPU slice is a node pool, and a group never shares one.
    exclusive = {catalog.gke.exclusive_topology_annotation: catalog.gke.labels.node_pool}
    return {
        "apiVersion": catalog.kubernetes.api("LeaderWorkerSet"), "kind": "LeaderWorkerSet",
        "metadata": labels.metadata(plan, annotations=exclusive),
        "spec": {
            **_replicas(plan),
            "rolloutStrategy": {"type": "RollingUpdate", "rollingUpdateConfiguration": {
                "maxSurge": max_surge, "maxUnavailable": 1}},
            "leaderWorkerTemplate": {
                "size": size,
                # a lost pod breaks the group's collective: restart the group together
                "restartPolicy": "RecreateGroupOnPodRestart",
                "leaderTemplate": leader,
                "workerTemplate": worker,
            },
        },
    }


def service(plan: Plan, catalog: Catalog) -> dict[str, Any]:
    engine = plan.facts.checked_engine
    return {"apiVersion": catalog.kubernetes.api("Service"), "kind": "Service",
            "metadata": labels.metadata(plan),
            "spec": {"type": "ClusterIP", "selector": serving_selector(plan, catalog),
                     "ports": [{"name": engines.PORT_NAME, "port": engine.port,
                                "targetPort": engines.PORT_NAME, "protocol": "TCP"}]}}
