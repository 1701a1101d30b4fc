"""Per-cluster placement inside an environment: a model's `spec.clusters` becomes Config
Sync's cluster-name-selector annotation on every object rendered for it."""

from __future__ import annotations

from typing import Any

from generator.catalog import Catalog
from generator.plan.records import Plan
from generator.plan.target import selected_clusters


def select(obj: dict[str, Any], plan: Plan, catalog: Catalog) -> dict[str, Any]:
    """The object, annotated to sync only to the model's clusters (when it names some)."""
    clusters = selected_clusters(plan)
    if clusters is None:
        return obj
    key = catalog.gke.config_sync.cluster_name_selector
    metadata = dict(obj["metadata"])
    metadata["annotations"] = {**metadata.get("annotations", {}), key: ",".join(clusters)}
    return {**obj, "metadata": metadata}
