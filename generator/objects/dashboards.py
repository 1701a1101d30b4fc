"""A Cloud Monitoring dashboard per GKE environment, for the models it contains.

It is written beside the synced roots (rendered/dashboards/<env>.yaml), not synced: apply
it with `gcloud monitoring dashboards create --config-from-file=...` (YAML or JSON).
Every chart is a PromQL query on what the model's PodMonitoring collects.
"""

from __future__ import annotations

import hashlib
from typing import Any

from generator.catalog import Catalog
from generator.objects.monitoring import p95, series
from generator.plan.records import Environment, Plan

COLUMNS, WIDTH, HEIGHT = 48, 12, 16


def _chart(title: str, query: str, label: str) -> dict[str, Any]:
    return {"title": title, "xyChart": {
        "dataSets": [{"plotType": "LINE", "targetAxis": "Y1",
                      "timeSeriesQuery": {"prometheusQuery": query}}],
        "yAxis": {"label": label, "scale": "LINEAR"}}}


def _charts(plan: Plan, catalog: Catalog) -> list[dict[str, Any]]:
    engine = plan.facts.checked_engine
    name = f"{plan.namespace}/{plan.name}"
    up = series(catalog.alerting.up_metric, plan)
    charts = [_chart(f"{name}: replicas up", f"sum({up})", "replicas")
              ] if engine.metrics is not None else []
    signals = engine.load_signals
    for signal, label in (("queue-size", "requests waiting"), ("batch-size", "requests running"),
                          ("kv-cache-usage", "KV cache used")):
        if signal in signals:
            charts.append(_chart(f"{name}: {label}",
                                 f"sum({series(signals[signal].metric, plan)})", label))
    latency = engine.alerts.latency
    if latency:
        charts.append(_chart(f"{name}: p95 {latency.measures}",
                             p95(latency, plan, catalog.alerting.rate_window), "seconds"))
    return charts


def charts_of(plan: Plan, catalog: Catalog) -> list[dict[str, Any]] | None:
    """The plan's row of its environment's dashboard; None when it shows in none."""
    if plan.environment.target != "gke" or not plan.spec["monitoring"]["enabled"]:
        return None
    return _charts(plan, catalog) or None  # an engine without metrics has no row


Row = tuple[str, str, list[dict[str, Any]] | None]  # namespace, name, charts_of(plan)


def key_of(environment: Environment, platform_name: str, sources: tuple[str, ...],
           rows: list[tuple[str, str, str | None]]) -> str:
    """A digest of everything a dashboard is built from (its rows' charts as JSON text),
    named without building it."""
    hasher = hashlib.sha256(repr((environment.name, environment.target, platform_name,
                                  sources)).encode())
    for namespace, name, charts in rows:
        hasher.update(f"\0{namespace}\0{name}\0{charts}".encode())
    return hasher.hexdigest()


def shown(environment: Environment, charts: list[Any]) -> bool:
    """Whether the environment has a dashboard: on GKE, with a row to show."""
    return environment.target == "gke" and any(row is not None for row in charts)


def dashboard_of(environment: Environment, platform_name: str,
                 rows: list[Row]) -> dict[str, Any] | None:
    if not shown(environment, [row[2] for row in rows]):
        return None
    visible = [row for row in rows if row[2] is not None]
    tiles = []
    for row, (_, _, charts) in enumerate(sorted(visible, key=lambda r: (r[0], r[1]))):
        for column, chart in enumerate(charts or []):
            tiles.append({"xPos": (column * WIDTH) % COLUMNS,
                          "yPos": (row * 2 + column * WIDTH // COLUMNS) * HEIGHT,
                          "width": WIDTH, "height": HEIGHT, "widget": chart})
    return {"displayName": f"infergen: {platform_name} {environment.name}",
            "mosaicLayout": {"columns": COLUMNS, "tiles": tiles}}
