"""PodMonitoring for Managed Service for Prometheus."""

from __future__ import annotations

from typing import Any

from generator.build import engines, labels
from generator.build.workload import serving_selector
from generator.catalog import Catalog
from generator.engine_facts import engine_for
from generator.model import Plan


def pod_monitoring(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    monitoring = plan.spec["monitoring"]
    if not monitoring["enabled"]:
        return None
    engine = engine_for(plan.spec, catalog)
    metrics = engine["metrics"]
    # a named port fills the `container` target label
    names = {number: name for name, number in engine.get("extraPorts", {}).items()}
    names[engine["port"]] = engines.PORT_NAME
    port: str | int = names.get(metrics["port"], metrics["port"])
    return {
        "apiVersion": "monitoring.googleapis.com/v1", "kind": "PodMonitoring",
        "metadata": labels.metadata(plan),
        "spec": {
            "selector": {"matchLabels": serving_selector(plan, catalog)},
            "endpoints": [{"port": port, "path": metrics["path"],
                           "interval": monitoring["interval"]}],
            "targetLabels": {"fromPod": [
                {"from": "app.kubernetes.io/instance", "to": "model"},
                {"from": "app.kubernetes.io/name", "to": "engine"},
                {"from": "infergen.dev/environment", "to": "environment"},
            ]},
        },
    }
