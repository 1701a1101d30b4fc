"""Where a plan runs: GKE or a plain Kubernetes cluster, which autoscaler, which clusters.

Facts of the plan that checks and builders both read (they were builder helpers that the
checks imported)."""

from __future__ import annotations

from generator.plan.records import Plan


def portable(plan: Plan) -> bool:
    """A plain Kubernetes cluster: no GKE labels, classes or CRDs."""
    return plan.environment.target == "kubernetes"


def uses_keda(plan: Plan) -> bool:
    return plan.environment.autoscaler == "keda"


def selected_clusters(plan: Plan) -> tuple[str, ...] | None:
    """The clusters of the plan's environment the model runs on; None for all of them."""
    clusters = plan.source.document.data["spec"].get("clusters")
    return tuple(sorted(clusters)) if clusters else None
