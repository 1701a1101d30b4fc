"""A NetworkPolicy per model: its serving ports only from its own namespace, the
environment's gateway and the sources the spec allows; its metrics port only from the
metrics collectors; and, in a multi-host group, every port between the group's pods."""

from __future__ import annotations

from typing import Any

from generator.catalog import Catalog
from generator.objects import labels, routing
from generator.plan.records import Plan
from generator.plan.target import portable


def _namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def _ports(numbers: list[int]) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": number} for number in sorted(set(numbers))]


def _sources(plan: Plan, catalog: Catalog) -> list[dict[str, Any]]:
    """Who may call the model: its namespace, its gateway, the sources the spec allows."""
    sources: list[dict[str, Any]] = [{"podSelector": {}}]  # its own namespace
    gateway = plan.environment.gateway
    if gateway is not None:
        sources.append(_namespace(gateway["namespace"]))
    if plan.spec["routing"]["inferenceGateway"] and not portable(plan):
        sources += [{"ipBlock": {"cidr": cidr}}
                    for cidr in catalog.gke.network_policy.health_check_ranges]
    for allowed in plan.spec["networkPolicy"].get("allowFrom", []):
        sources.append(_namespace(allowed["namespace"]) if "namespace" in allowed
                       else {"ipBlock": {"cidr": allowed["cidr"]}})
    return sources


def _collectors(plan: Plan, catalog: Catalog) -> dict[str, Any]:
    return _namespace(plan.environment.prometheus_namespace if portable(plan)
                      else catalog.gke.network_policy.metrics_namespace)


def network_policy(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    if not plan.spec["networkPolicy"]["enabled"]:
        return None
    engine = plan.facts.checked_engine
    serving = _ports([engine.port, *(engine.extra_ports or {}).values()])
    ingress = [{"from": _sources(plan, catalog), "ports": serving}]
    if plan.spec["monitoring"]["enabled"] and engine.metrics is not None:
        ingress.append({"from": [_collectors(plan, catalog)],
                        "ports": _ports([engine.metrics.port])})
    if plan.facts.checked_shape.multi_host:  # the group's collective traffic (Ray, NCCL)
        ingress.append({"from": [{"podSelector": {"matchLabels": labels.selector(plan)}}]})
    return {"apiVersion": catalog.kubernetes.api("NetworkPolicy"), "kind": "NetworkPolicy",
            "metadata": labels.metadata(plan),
            "spec": {"podSelector": {"matchLabels": labels.selector(plan)},
                     "policyTypes": ["Ingress"], "ingress": ingress}}



def endpoint_picker_network_policy(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    """The endpoint picker takes ext-proc calls from the Gateway, as the model does."""
    if not plan.spec["networkPolicy"]["enabled"] or not plan.spec["routing"]["inferenceGateway"]:
        return None
    gateway = catalog.gke.inference_gateway
    meta = routing.picker_metadata(plan, catalog)
    return {"apiVersion": catalog.kubernetes.api("NetworkPolicy"), "kind": "NetworkPolicy",
            "metadata": meta,
            "spec": {"podSelector": {"matchLabels": routing.picker_selector(plan)},
                     "policyTypes": ["Ingress"],
                     "ingress": [
                         {"from": _sources(plan, catalog),
                          "ports": _ports([gateway.endpoint_picker_port])},
                         {"from": [_collectors(plan, catalog)],
                          "ports": _ports([gateway.endpoint_picker.metrics_port])}]}}
