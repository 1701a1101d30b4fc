"""The serving defaults of engines.yaml (probes, autoscaling behaviour, alert thresholds),
typed: catalog/typed.py reads them once at load."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Startup:
    period_seconds: int
    base_seconds: int  # small models, image pull, engine start
    seconds_per_billion_parameters: float  # download and load time per 1B parameters
    unknown_size_seconds: int  # when model.parameters is not given


@dataclass(frozen=True)
class Probes:
    startup: Startup
    readiness: Mapping[str, int]  # copied into the readiness probe as they are
    liveness: Mapping[str, int]


@dataclass(frozen=True)
class ScaleUp:
    stabilization_window_seconds: int
    pods_per_minute: int


@dataclass(frozen=True)
class ScaleDown:
    stabilization_window_seconds: int
    pods_per_five_minutes: int


@dataclass(frozen=True)
class Autoscaling:
    scale_up: ScaleUp
    scale_down: ScaleDown
    cpu_utilization_percent: float


@dataclass(frozen=True)
class Alerting:
    queue_size_factor: float  # queue saturated: above this times the target per replica
    kv_cache_usage: float
    error_rate: float
    restarts: int  # container restarts within restarts_window
    restarts_window: str
    for_minutes: int  # how long a condition must hold before it fires
    rate_window: str
    evaluation_interval: str  # of each rule group
    up_metric: str
    restarts_metric: str
