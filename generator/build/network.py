"""A NetworkPolicy per model: its serving ports only from its own namespace, the
environment's gateway and the sources the spec allows; its metrics port only from the
metrics collectors; and, in a multi-host group, every port between the group's pods."""

from __future__ import annotations

from typing import Any

from generator.build import labels
from generator.build.placement import portable
from generator.build.workload import plan_shape
from generator.catalog import Catalog
from generator.engine_facts import engine_for
from generator.model import Plan


def _namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def _ports(numbers: list[int]) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": number} for number in sorted(set(numbers))]


def network_policy(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    if not plan.spec["networkPolicy"]["enabled"]:
        return None
    engine = engine_for(plan.spec, catalog)
    rules = catalog.gke["networkPolicy"]
    serving = _ports([engine["port"], *engine.get("extraPorts", {}).values()])
    sources: list[dict[str, Any]] = [{"podSelector": {}}]  # its own namespace
    gateway = plan.environment.gateway
    if gateway is not None:
        sources.append(_namespace(gateway["namespace"]))
    if plan.spec["routing"]["inferenceGateway"] and not portable(plan):
        sources += [{"ipBlock": {"cidr": cidr}} for cidr in rules["healthCheckRanges"]]
    for allowed in plan.spec["networkPolicy"].get("allowFrom", []):
        sources.append(_namespace(allowed["namespace"]) if "namespace" in allowed
                       else {"ipBlock": {"cidr": allowed["cidr"]}})
    ingress = [{"from": sources, "ports": serving}]
    if plan.spec["monitoring"]["enabled"]:
        collectors = (plan.environment.prometheus_namespace if portable(plan)
                      else rules["metricsNamespace"])
        ingress.append({"from": [_namespace(collectors)],
                        "ports": _ports([engine["metrics"]["port"]])})
    if plan_shape(plan, catalog).multi_host:  # the group's collective traffic (Ray, NCCL)
        ingress.append({"from": [{"podSelector": {"matchLabels": labels.selector(plan)}}]})
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": labels.metadata(plan),
            "spec": {"podSelector": {"matchLabels": labels.selector(plan)},
                     "policyTypes": ["Ingress"], "ingress": ingress}}

