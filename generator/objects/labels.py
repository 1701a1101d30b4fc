"""Labels and object metadata shared by every object rendered for a model."""

from __future__ import annotations

from typing import Any

from generator.plan.records import Plan

MANAGED_BY = "infergen"
COMPONENT = "model-server"
# "false" on the pods of a model with monitoring.logAlerts: false: the log-based metrics'
# filters leave them out (objects/gcp.py)
LOG_ALERTS = "infergen.dev/log-alerts"


def selector(plan: Plan) -> dict[str, str]:
    """Labels that pick the model's pods. Never derived from anything a spec may change
    later (engine, image), because a Deployment's selector is immutable."""
    return {"app.kubernetes.io/instance": plan.name, "app.kubernetes.io/component": COMPONENT}


def platform_labels(platform_name: str) -> dict[str, str]:
    """The labels of an object that belongs to the platform rather than to one model."""
    return {"app.kubernetes.io/managed-by": MANAGED_BY, "app.kubernetes.io/part-of": platform_name}


def common(plan: Plan) -> dict[str, str]:
    return {
        **plan.labels,
        "app.kubernetes.io/name": plan.spec["server"]["engine"],
        **selector(plan),
        "app.kubernetes.io/part-of": plan.platform.name,
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "infergen.dev/environment": plan.environment.name,
    }


def metadata(plan: Plan, **extra: Any) -> dict[str, Any]:
    return {"name": plan.name, "namespace": plan.namespace, "labels": common(plan), **extra}
