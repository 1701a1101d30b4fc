"""Probes that let a model load for as long as its size needs, then watch it closely."""

from __future__ import annotations

import math
from typing import Any

from generator.catalog import Catalog
from generator.catalog.engine_entry import Engine
from generator.plan.memory_fit import billions


def startup_seconds(spec: dict[str, Any], catalog: Catalog) -> int:
    """Time a replica may take to download and load its model before it counts as failed."""
    rules = catalog.probes.startup
    size = billions(spec["model"].get("parameters"))
    if size is None:
        return int(rules.unknown_size_seconds)
    return int(rules.base_seconds + math.ceil(size * rules.seconds_per_billion_parameters))


def probes(spec: dict[str, Any], catalog: Catalog, port: str,
           engine: Engine) -> dict[str, Any]:
    """Startup and liveness on the engine's health path, readiness on its readiness path
    (the same health path for most engines)."""
    def check(path: str) -> dict[str, Any]:
        return {"httpGet": {"path": path, "port": port}}

    live = engine.health_path
    ready = engine.readiness_path or engine.health_path
    startup = catalog.probes.startup
    period = startup.period_seconds
    return {
        "startupProbe": {**check(live), "periodSeconds": period,
                         "failureThreshold": math.ceil(startup_seconds(spec, catalog) / period)},
        "readinessProbe": {**check(ready), **catalog.probes.readiness},
        "livenessProbe": {**check(live), **catalog.probes.liveness},
    }
