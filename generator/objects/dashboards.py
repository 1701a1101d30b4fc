"""Two Cloud Monitoring dashboards per GKE environment, of constant size whatever the number
of models (Cloud Monitoring takes at most 100 widgets: catalog observability.yaml):

- `models`: the per-model charts (replicas, queue, batch, KV cache, p95 latency, errors),
  drilled down with the template variables `namespace` and `model`;
- `fleet`: the top models by queue, KV cache, p95 latency and error rate, replicas against
  maxReplicas, and accelerator utilisation.

A chart holds one query per distinct engine series in the environment, not one per model.
Without Config Connector they are written beside the synced roots
(rendered/dashboards/<env>.yaml, <env>.fleet.yaml) for `gcloud monitoring dashboards
create --config-from-file=...`; with it (environments[].configConnector), objects/gcp.py
wraps them as MonitoringDashboards in the environment's root.
"""

from __future__ import annotations

import hashlib
from typing import Any

from generator.catalog import Catalog
from generator.catalog.engine_contracts import ENGINE_CONTAINER
from generator.catalog.observability import ObservabilityDashboards
from generator.plan import autoscaling
from generator.plan.records import Environment, Plan

WIDTH, HEIGHT = 24, 16  # two charts a row on the 48-column mosaic
BOARDS = ("models", "fleet")


def charts_of(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    """What the plan adds to its environment's dashboards (its engine's series, the same for
    every model of that engine; `up` when it has any to chart) and log alerts (`logs`, its
    engine when it has fatal lines to count and the model takes part), or None for neither."""
    if plan.environment.target != "gke":
        return None
    engine = plan.facts.checked_engine
    name = plan.spec["server"]["engine"]
    logs = {"logs": name} if plan.spec["monitoring"]["logAlerts"] and engine.log_signals \
        else {}
    if not plan.spec["monitoring"]["enabled"] or engine.metrics is None:
        return logs or None  # an engine without metrics has nothing to chart
    signals = engine.load_signals
    found: dict[str, Any] = {"engine": name, "up": catalog.alerting.up_metric,
                             "namespace": plan.namespace, **logs}
    for signal, key in (("queue-size", "queue"), ("batch-size", "batch"),
                        ("kv-cache-usage", "kv")):
        if signal in signals:
            found[key] = signals[signal].metric
    if engine.alerts.latency:
        found["latency"] = engine.alerts.latency.histogram
    errors = engine.alerts.errors
    if errors:
        found["errors"] = [errors.failed, errors.failed_match or "", errors.total]
    if autoscaling.autoscaled(plan.spec) and \
            autoscaling.GPU not in autoscaling.signals(plan.spec):
        found["scaled"] = True
    return found


Row = tuple[str, str, dict[str, Any] | None]  # namespace, name, charts_of(plan)


def key_of(environment: Environment, platform_name: str, sources: tuple[str, ...],
           rows: list[tuple[str, str, str | None]]) -> str:
    """A digest of everything the dashboards are built from (the rows' JSON text)."""
    hasher = hashlib.sha256(repr((environment.name, environment.target, platform_name,
                                  sources)).encode())
    for namespace, name, charts in rows:
        hasher.update(f"\0{namespace}\0{name}\0{charts}".encode())
    return hasher.hexdigest()


def shown(environment: Environment, charts: list[Any]) -> bool:
    """Whether the environment has dashboards: on GKE, with a model to show (`charts`: the
    rows' charts_of, as JSON text or decoded)."""
    return environment.target == "gke" and any(
        row is not None and ('"up":' in row if isinstance(row, str) else "up" in row)
        for row in charts)


def _distinct(rows: list[Row], key: str) -> list[Any]:
    return sorted({_frozen(row[2][key]) for row in rows
                   if row[2] is not None and key in row[2]})


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _chart(title: str, queries: list[str], label: str) -> dict[str, Any]:
    return {"title": title, "xyChart": {
        "dataSets": [{"plotType": "LINE", "targetAxis": "Y1",
                      "timeSeriesQuery": {"prometheusQuery": query}} for query in queries],
        "yAxis": {"label": label, "scale": "LINEAR"}}}


def _selector(environment: Environment, facts: ObservabilityDashboards, drill: bool,
              match: str = "") -> str:
    """An environment's series: on the drill-down, narrowed by the template variables."""
    parts = [f'environment="{environment.name}"', *([match] if match else []),
             *(f"${{{v.name}}}" for v in facts.variables if drill)]
    return "{" + ",".join(parts) + "}"


def _model_charts(env: Environment, rows: list[Row], catalog: Catalog,
                  drill: bool) -> list[dict[str, Any]]:
    """Per model series: on the drill-down one query per engine series (every model's
    line), on the fleet the top k models across the engines' series (one query)."""
    facts = catalog.observability.dashboards
    window = catalog.alerting.rate_window
    by = "sum by (namespace, model)"

    def shaped(queries: list[str]) -> list[str]:
        return queries if drill else [f"topk({facts.top_k}, {' or '.join(queries)})"]

    def title(name: str) -> str:
        return name if drill else f"Top {facts.top_k}: {name[0].lower()}{name[1:]}"

    def series(metric: str, match: str = "") -> str:
        return metric + _selector(env, facts, drill, match)

    charts = []
    if drill:
        charts.append(_chart("Replicas up", [f"{by} ({series(metric)})"
                                             for metric in _distinct(rows, "up")], "replicas"))
    for key, name, label in (("queue", "Requests waiting", "requests"),
                             ("batch", "Requests running", "requests"),
                             ("kv", "KV cache used", "share of the KV cache")):
        metrics = _distinct(rows, key)
        if metrics and (drill or key != "batch"):
            reduce = "max by (namespace, model)" if key == "kv" else by
            charts.append(_chart(title(name), shaped(
                [f"{reduce} ({series(metric)})" for metric in metrics]), label))
    histograms = _distinct(rows, "latency")
    if histograms:
        charts.append(_chart(title("P95 latency"), shaped([
            f"histogram_quantile(0.95, sum by (namespace, model, le) "
            f"(rate({series(h + '_bucket')}[{window}])))" for h in histograms]), "seconds"))
    errors = _distinct(rows, "errors")
    if errors:
        charts.append(_chart(title("Error rate"), shaped([
            f"{by} (rate({series(failed, match)}[{window}])) / clamp_min("
            f"{by} (rate({series(total)}[{window}])), 1e-9)"
            for failed, match, total in errors]), "share of requests failing"))
    return charts


def _fleet_only(env: Environment, rows: list[Row], catalog: Catalog) -> list[dict[str, Any]]:
    """Replicas against maxReplicas (kube-state-metrics' HPA series, per namespace of the
    environment) and the accelerators' duty cycle of the engine containers."""
    facts = catalog.observability.dashboards
    namespaces = "|".join(sorted({row[2]["namespace"] for row in rows if row[2] is not None}))
    scaled = sorted({row[2]["namespace"] for row in rows
                     if row[2] is not None and row[2].get("scaled")})
    charts = []
    if scaled:
        hpa = f'{{namespace=~"{"|".join(scaled)}"}}'
        ratio = (f"sum by (namespace, horizontalpodautoscaler) ({facts.replicas_metric}{hpa}) / "
                 f"sum by (namespace, horizontalpodautoscaler) ({facts.max_replicas_metric}{hpa})")
        charts.append(_chart(f"Top {facts.top_k}: replicas / maxReplicas",
                             [f"topk({facts.top_k}, {ratio})"], "share of maxReplicas"))
    duty = (f'{facts.accelerator_metric}{{monitored_resource="k8s_container",'
            f'namespace_name=~"{namespaces}",container_name="{ENGINE_CONTAINER}"}}')
    charts.append(_chart("Accelerator utilisation (duty cycle)",
                         [f"avg by (namespace_name) ({duty})"], "percent"))
    return charts


def _layout(charts: list[dict[str, Any]], columns: int) -> dict[str, Any]:
    per_row = columns // WIDTH
    return {"columns": columns, "tiles": [
        {"xPos": (i % per_row) * WIDTH, "yPos": (i // per_row) * HEIGHT,
         "width": WIDTH, "height": HEIGHT, "widget": chart} for i, chart in enumerate(charts)]}


def dashboard_of(environment: Environment, platform_name: str, rows: list[Row],
                 catalog: Catalog, board: str) -> dict[str, Any] | None:
    """The environment's `models` (drill-down) or `fleet` dashboard; None when it has none."""
    if not shown(environment, [row[2] for row in rows]):
        return None
    facts = catalog.observability.dashboards
    visible = [row for row in rows if row[2] is not None and "up" in row[2]]
    title = f"infergen: {platform_name} {environment.name}"
    if board == "models":
        return {"displayName": f"{title} models",
                "dashboardFilters": [{"labelKey": v.label_key, "templateVariable": v.name,
                                      "filterType": v.filter_type} for v in facts.variables],
                "mosaicLayout": _layout(_model_charts(environment, visible, catalog, True),
                                        facts.columns)}
    charts = _model_charts(environment, visible, catalog, False) + _fleet_only(
        environment, visible, catalog)
    return {"displayName": f"{title} fleet", "mosaicLayout": _layout(charts, facts.columns)}


def widgets(board: dict[str, Any]) -> int:
    """How many widgets Cloud Monitoring counts on a dashboard body."""
    return len(board.get("mosaicLayout", {}).get("tiles", []))
