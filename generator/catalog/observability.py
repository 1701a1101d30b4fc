"""observability.yaml, typed: the facts of Cloud Monitoring dashboards, Config Connector's
monitoring and logging objects, and SLO burn-rate alerts (catalog/typed.py reads it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ObservabilityVariable:
    """A dashboard template variable (a DashboardFilter)."""

    name: str
    label_key: str
    filter_type: str


@dataclass(frozen=True)
class ObservabilityDashboards:
    max_widgets: int
    columns: int
    top_k: int
    variables: tuple[ObservabilityVariable, ...]
    replicas_metric: str
    max_replicas_metric: str
    accelerator_metric: str


@dataclass(frozen=True)
class ObservabilityBurnRate:
    long: str
    short: str
    factor: float
    severity: str


@dataclass(frozen=True)
class ObservabilitySlo:
    burn_rates: tuple[ObservabilityBurnRate, ...]


@dataclass(frozen=True)
class ObservabilityConfigConnector:
    version: str
    namespace: str
    project_annotation: str
    pod_label_prefix: str
    alert_window: str
    auto_close: str


@dataclass(frozen=True)
class Observability:
    dashboards: ObservabilityDashboards
    slo: ObservabilitySlo
    config_connector: ObservabilityConfigConnector
