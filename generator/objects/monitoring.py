"""PodMonitoring for Managed Service for Prometheus."""

from __future__ import annotations

import re
from typing import Any

from generator.catalog import Catalog
from generator.catalog.engine_entry import LatencyAlert
from generator.objects import engines, labels
from generator.objects.workload import serving_selector
from generator.plan import autoscaling
from generator.plan.autoscaling import seconds
from generator.plan.records import Plan
from generator.plan.target import portable

DEFAULT_TIMEOUT = "10s"


def scrape_timeout(monitoring: dict[str, Any]) -> str:
    """The spec's timeout, else 10s, never longer than the interval."""
    if "timeout" in monitoring:
        return str(monitoring["timeout"])
    interval = monitoring["interval"]
    return interval if seconds(interval) < seconds(DEFAULT_TIMEOUT) else DEFAULT_TIMEOUT


# Series labels that identify a model on dashboards and in alerts, from pod labels.
TARGET_LABELS = (("app.kubernetes.io/instance", "model"), ("app.kubernetes.io/name", "engine"),
                 ("infergen.dev/environment", "environment"))


def series(metric: str, plan: Plan, match: str = "") -> str:
    """A metric selected to this model's pods (by the scrape's target labels)."""
    model = dict(TARGET_LABELS)["app.kubernetes.io/instance"]
    matchers = f'namespace="{plan.namespace}",{model}="{plan.name}"'
    return f"{metric}{{{matchers}{',' + match if match else ''}}}"


def p95(latency: LatencyAlert, plan: Plan, window: str) -> str:
    """The 95th percentile of an engine's latency histogram (catalog `alerts.latency`)."""
    bucket = series(f"{latency.histogram}_bucket", plan)
    return f"histogram_quantile(0.95, sum by (le) (rate({bucket}[{window}])))"


def _endpoint(plan: Plan, catalog: Catalog) -> tuple[str | int, str]:
    """The metrics port (named when it can be: the `container` label needs a name) and path."""
    engine = plan.facts.checked_engine
    metrics = engine.served_metrics
    names = {number: name for name, number in (engine.extra_ports or {}).items()}
    names[engine.port] = engines.PORT_NAME
    return names.get(metrics.port, metrics.port), metrics.path


def scraped(plan: Plan, catalog: Catalog) -> bool:
    """The engine serves metrics (catalog `metrics`; JetStream v0.2.4 serves none)."""
    return plan.facts.checked_engine.metrics is not None


def pod_monitor(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    """prometheus-operator's PodMonitor, for the portable target."""
    monitoring = plan.spec["monitoring"]
    if not monitoring["enabled"] or not portable(plan) or not scraped(plan, catalog):
        return None
    port, path = _endpoint(plan, catalog)
    relabel = [{"sourceLabels": ["__meta_kubernetes_pod_label_" + re.sub(r"[^a-zA-Z0-9]", "_",
                                                                        source)],
                "targetLabel": target} for source, target in TARGET_LABELS]
    endpoint: dict[str, Any] = {"path": path, "interval": monitoring["interval"],
                                "scrapeTimeout": scrape_timeout(monitoring),
                                "relabelings": relabel}
    endpoint["port" if isinstance(port, str) else "portNumber"] = port
    return {"apiVersion": catalog.kubernetes.api("PodMonitor"), "kind": "PodMonitor",
            "metadata": labels.metadata(plan),
            "spec": {"selector": {"matchLabels": serving_selector(plan, catalog)},
                     "podMetricsEndpoints": [endpoint]}}


def pod_monitoring(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    monitoring = plan.spec["monitoring"]
    if not monitoring["enabled"] or portable(plan) or not scraped(plan, catalog):
        return None
    port, path = _endpoint(plan, catalog)
    return {
        "apiVersion": catalog.kubernetes.api("PodMonitoring"), "kind": "PodMonitoring",
        "metadata": labels.metadata(plan),
        "spec": {
            "selector": {"matchLabels": serving_selector(plan, catalog)},
            "endpoints": [{"port": port, "path": path,
                           "interval": monitoring["interval"],
                           "timeout": scrape_timeout(monitoring)}],
            "targetLabels": {"fromPod": [{"from": source, "to": target}
                                         for source, target in TARGET_LABELS]},
        },
    }


def dcgm_pod_monitoring(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    """Scrape NVIDIA's DCGM exporter for models scaling on GPU utilisation, renaming the
    metric to lower case, which is the only form the HPA's External metrics can name."""
    if autoscaling.GPU not in autoscaling.signals(plan.spec) or not autoscaling.autoscaled(
            plan.spec):
        return None
    dcgm = catalog.gke.dcgm
    exporter = dcgm.exporter
    return {
        "apiVersion": catalog.kubernetes.api("PodMonitoring"), "kind": "PodMonitoring",
        "metadata": {"name": "infergen-dcgm-gpu-utilization", "namespace": exporter.namespace,
                     "labels": labels.platform_labels(plan.platform.name)},
        "spec": {
            "selector": {"matchLabels": dict(exporter.selector)},
            "endpoints": [{
                "port": exporter.port, "path": exporter.path,
                "interval": dcgm.interval,
                "metricRelabeling": [
                    {"action": "keep", "sourceLabels": ["__name__"], "regex": dcgm.metric},
                    {"action": "replace", "sourceLabels": ["__name__"], "regex": dcgm.metric,
                     "targetLabel": "__name__", "replacement": dcgm.renamed}],
            }],
        },
    }
