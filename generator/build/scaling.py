"""HorizontalPodAutoscaler on the engine's own load signal, and the disruption budget."""

from __future__ import annotations

from typing import Any

from generator.build import labels
from generator.build.workload import autoscaled, scale_target
from generator.catalog import Catalog
from generator.engine_facts import engine_for
from generator.model import Plan


def managed_prometheus_metric(metric: str, metric_type: str) -> str:
    """The name under which the Custom Metrics Stackdriver Adapter serves a metric that
    Managed Service for Prometheus collected."""
    return f"prometheus.googleapis.com|{metric}|{metric_type}"


def average_value(target: float) -> str:
    """A per-pod target as a Kubernetes quantity: 5 -> "5", 0.8 -> "800m"."""
    if float(target).is_integer():
        return str(int(target))
    return f"{round(target * 1000)}m"


def horizontal_pod_autoscaler(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    if not autoscaled(plan):
        return None
    scaling = plan.spec["scaling"]
    signal = engine_for(plan.spec, catalog)["loadSignals"][scaling["metric"]]
    up, down = catalog.autoscaling["scaleUp"], catalog.autoscaling["scaleDown"]
    return {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": labels.metadata(plan),
        "spec": {
            "scaleTargetRef": scale_target(plan, catalog),
            "minReplicas": scaling["minReplicas"],
            "maxReplicas": scaling["maxReplicas"],
            "metrics": [{"type": "Pods", "pods": {
                "metric": {"name": managed_prometheus_metric(signal["metric"], signal["type"])},
                "target": {"type": "AverageValue",
                           "averageValue": average_value(scaling["target"])}}}],
            "behavior": {
                "scaleUp": {"stabilizationWindowSeconds": up["stabilizationWindowSeconds"],
                            "policies": [{"type": "Pods", "value": up["podsPerMinute"],
                                          "periodSeconds": 60}]},
                "scaleDown": {"stabilizationWindowSeconds": down["stabilizationWindowSeconds"],
                              "policies": [{"type": "Pods", "value": down["podsPerFiveMinutes"],
                                            "periodSeconds": 300}]},
            },
        },
    }


def pod_disruption_budget(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    scaling = plan.spec["scaling"]
    most = scaling["maxReplicas"] if autoscaled(plan) else scaling["minReplicas"]
    if most <= 1:
        return None
    # maxUnavailable (not minAvailable: 1): a model scaled down to one replica must not
    # block node upgrades, yet voluntary disruptions still take one replica at a time.
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": labels.metadata(plan),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels.selector(plan)}}}
