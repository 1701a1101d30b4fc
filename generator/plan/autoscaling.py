"""What a model scales on: its load signals, their per-pod targets, and how fast to move.

Shared by the checks and by the builders of the HorizontalPodAutoscaler and the KEDA
ScaledObject, so both always agree.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from generator.catalog import Catalog
from generator.catalog.engine_entry import Engine

# Signals not read from the engine's own metrics.
CPU, GPU = "cpu", "gpu-utilization"


def signals(spec: dict[str, Any]) -> list[str]:
    """The load signals in the order written; [] for a fixed size."""
    metric = spec["scaling"]["metric"]
    if metric == "none":
        return []
    return [metric] if isinstance(metric, str) else list(metric)


def autoscaled(spec: dict[str, Any]) -> bool:
    scaling = spec["scaling"]
    return bool(signals(spec)) and scaling["minReplicas"] < scaling["maxReplicas"]


def default_target(signal: str, engine: Engine, catalog: Catalog) -> float | None:
    if signal == CPU:
        return float(catalog.autoscaling.cpu_utilization_percent)
    if signal == GPU:
        return float(catalog.gke.dcgm.target_percent)
    found = engine.load_signals.get(signal)
    return None if found is None or found.target is None else float(found.target)


def target_for(signal: str, spec: dict[str, Any], engine: Engine,
               catalog: Catalog) -> float | None:
    """`signal`'s per-pod target: the spec's (by signal, or one number for its only signal),
    else the catalog's (None: unknown)."""
    given = spec["scaling"].get("target")
    if isinstance(given, dict) and signal in given:
        return float(given[signal])
    if isinstance(given, (int, float)) and signals(spec) == [signal]:
        return float(given)
    return default_target(signal, engine, catalog)


def targets(spec: dict[str, Any], engine: Engine,
            catalog: Catalog) -> dict[str, float | None]:
    """Each of the spec's signals with its per-pod target (target_for)."""
    return {signal: target_for(signal, spec, engine, catalog) for signal in signals(spec)}


def behavior(spec: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """HPA behaviour: the catalog's defaults, with what the spec sets replacing them."""
    up, down = catalog.autoscaling.scale_up, catalog.autoscaling.scale_down
    result = {
        "scaleUp": {"stabilizationWindowSeconds": up.stabilization_window_seconds,
                    "policies": [{"type": "Pods", "value": up.pods_per_minute,
                                  "periodSeconds": 60}]},
        "scaleDown": {"stabilizationWindowSeconds": down.stabilization_window_seconds,
                      "policies": [{"type": "Pods", "value": down.pods_per_five_minutes,
                                    "periodSeconds": 300}]},
    }
    for direction, given in spec["scaling"].get("behavior", {}).items():
        result[direction].update(copy.deepcopy(given))
    return result


_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def seconds(duration: str) -> float:
    """A Prometheus duration ("1m30s") in seconds."""
    return sum(float(n) * _UNITS[unit] for n, unit in re.findall(r"(\d+)(ms|s|m|h)", duration))
