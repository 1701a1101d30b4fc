"""An environment's Google Cloud monitoring as Config Connector objects, synced with its root
(environments[].configConnector: {project}), so no manual `gcloud` step is left:

- its two dashboards (objects/dashboards.py) as MonitoringDashboards;
- per engine with fatal log lines (engines.yaml `logSignals`), a LoggingLogMetric counting
  them in the engine containers' logs of the environment's models, labelled by namespace,
  model and the line matched, and a MonitoringAlertPolicy that opens an incident per model
  and line, naming the model and the environment. A model with `monitoring.logAlerts:
  false` carries the pod label that the metric's filter leaves out.

They live in one namespace (catalog observability.yaml `configConnector.namespace`) whose
annotation names the project, with each object's own project reference where its kind has
one. A Google Cloud resource has one owner: in an environment of several clusters, only the
first syncs them (Config Sync's cluster-name-selector).
"""

from __future__ import annotations

import re
from typing import Any

from generator.catalog import Catalog
from generator.catalog.engine_contracts import ENGINE_CONTAINER
from generator.catalog.engine_entry import LogSignal
from generator.objects import dashboards
from generator.objects.labels import LOG_ALERTS, platform_labels
from generator.plan.records import Environment, Platform

ENVIRONMENT_LABEL = "infergen.dev/environment"
MODEL_LABEL, ENGINE_LABEL = "app.kubernetes.io/instance", "app.kubernetes.io/name"


def _pod_label(key: str, catalog: Catalog) -> str:
    """A pod label as GKE writes it on a log entry: labels."k8s-pod/<key, dots as _>"."""
    prefix = catalog.observability.config_connector.pod_label_prefix
    return f'labels."{prefix}{key.replace(".", "_")}"'


def _metadata(name: str, env: Environment, platform: Platform,
              catalog: Catalog) -> dict[str, Any]:
    facts = catalog.observability.config_connector
    selector = catalog.gke.config_sync.cluster_name_selector
    return {"name": name, "namespace": facts.namespace,
            "labels": {**platform_labels(platform.name), ENVIRONMENT_LABEL: env.name},
            "annotations": {selector: env.clusters[0]}}


def namespace(env: Environment, platform: Platform, catalog: Catalog) -> dict[str, Any]:
    facts = catalog.observability.config_connector
    return {"apiVersion": catalog.kubernetes.api("Namespace"), "kind": "Namespace",
            "metadata": {"name": facts.namespace, "labels": platform_labels(platform.name),
                         "annotations": {facts.project_annotation: env.gcp_project}}}


def dashboard(env: Environment, platform: Platform, board: dict[str, Any], which: str,
              catalog: Catalog) -> dict[str, Any]:
    return {"apiVersion": catalog.kubernetes.api("MonitoringDashboard"),
            "kind": "MonitoringDashboard",
            "metadata": _metadata(dashboard_name(env, which), env, platform, catalog),
            "spec": {**board, "projectRef": {"external": env.gcp_project}}}


def dashboard_name(env: Environment, which: str) -> str:
    return f"infergen-{env.name}-{which}"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def metric_name(env: Environment, engine: str) -> str:
    return f"infergen-{env.name}-{engine}-fatal-logs"


def log_metric(env: Environment, platform: Platform, engine: str,
               signals: tuple[LogSignal, ...], catalog: Catalog) -> dict[str, Any]:
    """A counter of the engine's fatal lines in the environment's engine containers."""
    matches = sorted({s.match for s in signals})
    filter_ = "\n".join([
        'resource.type="k8s_container"',
        f'resource.labels.container_name="{ENGINE_CONTAINER}"',
        f'{_pod_label(ENVIRONMENT_LABEL, catalog)}="{env.name}"',
        f'{_pod_label(ENGINE_LABEL, catalog)}="{engine}"',
        f'NOT {_pod_label(LOG_ALERTS, catalog)}="false"',
        f"textPayload:({' OR '.join(_quoted(m) for m in matches)})"])
    pattern = "|".join(re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", m) for m in matches)  # RE2
    labels = [("namespace", "The model's namespace"), ("model", "The model (ModelDeployment)"),
              ("reason", "The fatal line matched")]
    return {
        "apiVersion": catalog.kubernetes.api("LoggingLogMetric"), "kind": "LoggingLogMetric",
        "metadata": _metadata(metric_name(env, engine), env, platform, catalog),
        "spec": {
            "projectRef": {"external": env.gcp_project},
            "description": f"Fatal lines of {engine} (out of memory, KV cache too small, "
                           f"start-up failures, NCCL errors) in infergen environment "
                           f"{env.name}: {', '.join(sorted({s.reason for s in signals}))}",
            "filter": filter_,
            "labelExtractors": {
                "namespace": "EXTRACT(resource.labels.namespace_name)",
                "model": f"EXTRACT({_pod_label(MODEL_LABEL, catalog)})",
                "reason": f"REGEXP_EXTRACT(textPayload, {_quoted(f'({pattern})')})"},
            "metricDescriptor": {
                "metricKind": "DELTA", "valueType": "INT64",
                "labels": [{"key": key, "valueType": "STRING", "description": text}
                           for key, text in labels]}}}


def alert_policy(env: Environment, platform: Platform, engine: str,
                 catalog: Catalog) -> dict[str, Any]:
    """An incident per model and fatal line the engine logged, naming both and the
    environment."""
    facts = catalog.observability.config_connector
    metric = metric_name(env, engine)
    return {
        "apiVersion": catalog.kubernetes.api("MonitoringAlertPolicy"),
        "kind": "MonitoringAlertPolicy",
        "metadata": _metadata(metric, env, platform, catalog),
        "spec": {
            "displayName": f"infergen {env.name}: {engine} logged a fatal line",
            "combiner": "OR",
            "conditions": [{
                "displayName": f"{engine} fatal log lines in {env.name}",
                "conditionThreshold": {
                    "filter": f'metric.type="logging.googleapis.com/user/{metric}" AND '
                              'resource.type="k8s_container"',
                    "comparison": "COMPARISON_GT", "thresholdValue": 0, "duration": "0s",
                    "trigger": {"count": 1},
                    "aggregations": [{
                        "alignmentPeriod": facts.alert_window,
                        "perSeriesAligner": "ALIGN_SUM", "crossSeriesReducer": "REDUCE_SUM",
                        "groupByFields": ["metric.label.namespace", "metric.label.model",
                                          "metric.label.reason"]}]}}],
            "documentation": {
                "mimeType": "text/markdown",
                "content": f"Model ${{metric.label.namespace}}/${{metric.label.model}} in "
                           f"environment {env.name} ({engine}) logged a fatal line: "
                           f"${{metric.label.reason}}. Its pods' logs (container "
                           f"{ENGINE_CONTAINER}) say why; infergen's log metric {metric}."},
            "alertStrategy": {"autoClose": facts.auto_close}}}


def objects(env: Environment, platform: Platform, rows: list[dashboards.Row],
            catalog: Catalog) -> list[tuple[str, dict[str, Any]]]:
    """The environment's Config Connector objects, each at its path in its root."""
    if env.gcp_project is None or env.target != "gke":
        return []
    folder = f"{env.name}/{catalog.observability.config_connector.namespace}"
    found = [(f"{env.name}/namespaces/{catalog.observability.config_connector.namespace}.yaml",
              namespace(env, platform, catalog))]
    for which in dashboards.BOARDS:
        board = dashboards.dashboard_of(env, platform.name, rows, catalog, which)
        if board is not None:
            found.append((f"{folder}/monitoringdashboard-{which}.yaml",
                          dashboard(env, platform, board, which, catalog)))
    for engine in sorted({row[2]["logs"] for row in rows if row[2] and "logs" in row[2]}):
        signals = catalog.engines[engine].log_signals
        found.append((f"{folder}/logginglogmetric-{engine}.yaml",
                      log_metric(env, platform, engine, signals, catalog)))
        found.append((f"{folder}/monitoringalertpolicy-{engine}.yaml",
                      alert_policy(env, platform, engine, catalog)))
    return found if len(found) > 1 else []
