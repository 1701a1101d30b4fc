"""PodMonitoring for Managed Service for Prometheus."""

from __future__ import annotations

import re
from typing import Any

from generator import autoscaling
from generator.build import engines, labels
from generator.build.workload import serving_selector
from generator.catalog import Catalog
from generator.engine_facts import engine_for
from generator.model import Plan

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
DEFAULT_TIMEOUT = "10s"


def seconds(duration: str) -> float:
    """A Prometheus duration ("1m30s") in seconds."""
    return sum(float(n) * _UNITS[unit] for n, unit in re.findall(r"(\d+)(ms|s|m|h)", duration))


def scrape_timeout(monitoring: dict[str, Any]) -> str:
    """The spec's timeout, else 10s, never longer than the interval."""
    if "timeout" in monitoring:
        return str(monitoring["timeout"])
    interval = monitoring["interval"]
    return interval if seconds(interval) < seconds(DEFAULT_TIMEOUT) else DEFAULT_TIMEOUT


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
                           "interval": monitoring["interval"],
                           "timeout": scrape_timeout(monitoring)}],
            "targetLabels": {"fromPod": [
                {"from": "app.kubernetes.io/instance", "to": "model"},
                {"from": "app.kubernetes.io/name", "to": "engine"},
                {"from": "infergen.dev/environment", "to": "environment"},
            ]},
        },
    }


def dcgm_pod_monitoring(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    """Scrape NVIDIA's DCGM exporter for models scaling on GPU utilisation, renaming the
    metric to lower case, which is the only form the HPA's External metrics can name."""
    if autoscaling.GPU not in autoscaling.signals(plan.spec) or not autoscaling.autoscaled(
            plan.spec):
        return None
    dcgm = catalog.gke["dcgm"]
    exporter = dcgm["exporter"]
    return {
        "apiVersion": "monitoring.googleapis.com/v1", "kind": "PodMonitoring",
        "metadata": {"name": "infergen-dcgm-gpu-utilization", "namespace": exporter["namespace"],
                     "labels": {"app.kubernetes.io/managed-by": labels.MANAGED_BY,
                                "app.kubernetes.io/part-of": plan.platform.name}},
        "spec": {
            "selector": {"matchLabels": dict(exporter["selector"])},
            "endpoints": [{
                "port": exporter["port"], "path": exporter["path"],
                "interval": dcgm["interval"],
                "metricRelabeling": [
                    {"action": "keep", "sourceLabels": ["__name__"], "regex": dcgm["metric"]},
                    {"action": "replace", "sourceLabels": ["__name__"], "regex": dcgm["metric"],
                     "targetLabel": "__name__", "replacement": dcgm["renamed"]}],
            }],
        },
    }
