"""Autoscaling on the engine's own load signals: a HorizontalPodAutoscaler reading Managed
Service for Prometheus metrics through the Custom Metrics Stackdriver Adapter, or, where
the environment chooses KEDA, a ScaledObject; and the disruption budget."""

from __future__ import annotations

from typing import Any

from generator.catalog import Catalog
from generator.objects import engines, labels
from generator.objects.monitoring import series
from generator.objects.workload import autoscaled, scale_target
from generator.plan import autoscaling, sizing
from generator.plan.records import Plan
from generator.plan.target import portable, uses_keda


def managed_prometheus_metric(metric: str, metric_type: str, catalog: Catalog) -> str:
    """The name under which the Custom Metrics Stackdriver Adapter serves a metric that
    Managed Service for Prometheus collected."""
    return str(catalog.gke.custom_metric_name.format(metric=metric, type=metric_type))


def _target_quantity(target: float) -> str:
    """A target as a Kubernetes quantity, in milli-units as CPU is: 5 -> "5", 0.8 -> "800m"."""
    return sizing.cpu_quantity(round(target * 1000))


def _gpu_total(plan: Plan, catalog: Catalog, target: float) -> float:
    # DCGM reports each GPU; a replica's share of the External metric is all its GPUs
    return target * max(plan.facts.checked_shape.devices, 1)


def _hpa_metric(plan: Plan, catalog: Catalog, signal: str, target: float) -> dict[str, Any]:
    if signal == autoscaling.CPU:
        return {"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": round(target)}}}
    if signal == autoscaling.GPU:
        dcgm = catalog.gke.dcgm
        selector = {f"metric.labels.{dcgm.pod_labels.namespace}": plan.namespace,
                    f"metric.labels.{dcgm.pod_labels.container}": engines.CONTAINER_NAME}
        return {"type": "External", "external": {
            "metric": {"name": managed_prometheus_metric(dcgm.renamed, dcgm.type, catalog),
                       "selector": {"matchLabels": selector}},
            "target": {"type": "AverageValue",
                       "averageValue": _target_quantity(_gpu_total(plan, catalog, target))}}}
    found = plan.facts.checked_engine.load_signals[signal]
    # prometheus-adapter (portable target) serves a series under its Prometheus name
    name = (found.metric if portable(plan)
            else managed_prometheus_metric(found.metric, found.type, catalog))
    return {"type": "Pods", "pods": {
        "metric": {"name": name},
        "target": {"type": "AverageValue", "averageValue": _target_quantity(target)}}}


def _targets(plan: Plan, catalog: Catalog) -> dict[str, float]:
    found = autoscaling.targets(plan.spec, plan.facts.checked_engine, catalog)
    return {signal: target for signal, target in found.items() if target is not None}


def horizontal_pod_autoscaler(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    if not autoscaled(plan) or uses_keda(plan):
        return None
    scaling = plan.spec["scaling"]
    return {
        "apiVersion": catalog.kubernetes.api("HorizontalPodAutoscaler"),
        "kind": "HorizontalPodAutoscaler",
        "metadata": labels.metadata(plan),
        "spec": {
            "scaleTargetRef": scale_target(plan, catalog),
            "minReplicas": scaling["minReplicas"],
            "maxReplicas": scaling["maxReplicas"],
            # several metrics: the HPA follows whichever asks for the most replicas
            "metrics": [_hpa_metric(plan, catalog, signal, target)
                        for signal, target in _targets(plan, catalog).items()],
            "behavior": autoscaling.behavior(plan.spec, catalog),
        },
    }


def _keda_trigger(plan: Plan, catalog: Catalog, signal: str, target: float) -> dict[str, Any]:
    if signal == autoscaling.CPU:
        return {"type": "cpu", "metricType": "Utilization",
                "metadata": {"value": str(round(target))}}
    address = plan.environment.keda["prometheusAddress"] if plan.environment.keda else ""
    if signal == autoscaling.GPU:
        dcgm = catalog.gke.dcgm
        names = dcgm.pod_labels
        query = (f'sum({dcgm.renamed}{{{names.namespace}="{plan.namespace}",'
                 f'{names.container}="{engines.CONTAINER_NAME}"}})')
        threshold = _gpu_total(plan, catalog, target)
    else:
        metric = plan.facts.checked_engine.load_signals[signal].metric
        query = f"sum({series(metric, plan)})"
        threshold = target
    # KEDA divides the query's value by the threshold: a sum over pods behaves like the
    # HPA's per-pod average
    return {"type": "prometheus", "metricType": "AverageValue",
            "metadata": {"serverAddress": address, "query": query,
                         "threshold": _target_quantity(threshold)}}


def scaled_object(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    if not autoscaled(plan) or not uses_keda(plan):
        return None
    scaling = plan.spec["scaling"]
    behavior = autoscaling.behavior(plan.spec, catalog)
    return {
        "apiVersion": catalog.kubernetes.api("ScaledObject"), "kind": "ScaledObject",
        "metadata": labels.metadata(plan),
        "spec": {
            "scaleTargetRef": scale_target(plan, catalog),
            "minReplicaCount": scaling["minReplicas"],
            "maxReplicaCount": scaling["maxReplicas"],
            # after the last request, wait as long as a scale-down would before going to 0
            "cooldownPeriod": behavior["scaleDown"]["stabilizationWindowSeconds"],
            "advanced": {"horizontalPodAutoscalerConfig": {"behavior": behavior}},
            "triggers": [_keda_trigger(plan, catalog, signal, target)
                         for signal, target in _targets(plan, catalog).items()],
        },
    }


def pod_disruption_budget(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    scaling = plan.spec["scaling"]
    most = scaling["maxReplicas"] if autoscaled(plan) else scaling["minReplicas"]
    if most <= 1:
        return None
    # maxUnavailable (not minAvailable: 1): a model scaled down to one replica must not
    # block node upgrades, yet voluntary disruptions still take one replica at a time.
    return {"apiVersion": catalog.kubernetes.api("PodDisruptionBudget"),
            "kind": "PodDisruptionBudget",
            "metadata": labels.metadata(plan),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels.selector(plan)}}}
