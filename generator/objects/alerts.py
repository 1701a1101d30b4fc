"""Alerting rules per model, from the engine's own metrics: no replica up, fewer than the
minimum, queue saturated, KV cache nearly full, errors, latency, restarts.

On GKE they are a `Rules` object of Managed Service for Prometheus; the portable target
writes the same groups as a prometheus-operator `PrometheusRule`.
"""

from __future__ import annotations

import math
from typing import Any

from generator.catalog import Catalog
from generator.catalog.engine_entry import Engine
from generator.objects import engines, labels, slo
from generator.objects.monitoring import p95, series
from generator.objects.probes import startup_seconds
from generator.plan import autoscaling
from generator.plan.records import Plan
from generator.plan.target import portable


def _pods_regex(plan: Plan) -> str:
    # Deployment pods are <name>-<hash>-<id>, LeaderWorkerSet pods <name>-<group>[-<index>]:
    # never another model whose name merely starts with this one
    return f"{plan.name}-([a-z0-9]{{1,10}}-[a-z0-9]{{5}}|[0-9]+(-[0-9]+)?)"


def _thresholds(plan: Plan, catalog: Catalog, engine: Engine) -> dict[str, float]:
    defaults = catalog.alerting
    found: dict[str, float] = {
        "kvCacheUsage": defaults.kv_cache_usage, "errorRate": defaults.error_rate,
        "restarts": defaults.restarts,
    }
    # the queue the model scales at, when it scales on its queue; else the engine's usual one
    queue = autoscaling.target_for("queue-size", plan.spec, engine, catalog)
    if queue is not None:
        found["queueSize"] = queue * defaults.queue_size_factor
    latency = engine.alerts.latency
    if latency:
        found["latencySeconds"] = latency.seconds
    found.update(plan.spec["monitoring"].get("thresholds", {}))
    return found


def _alert(plan: Plan, name: str, expr: str, minutes: int, severity: str, summary: str,
           description: str) -> dict[str, Any]:
    where = f"{plan.namespace}/{plan.name} in {plan.environment.name}"
    return {
        "alert": name, "expr": expr, "for": f"{minutes}m",
        "labels": {"severity": severity, "model": plan.name,
                   "environment": plan.environment.name},
        "annotations": {"summary": f"{summary}: {where}",
                        "description": f"{description} ({where})."},
    }


def rules(plan: Plan, catalog: Catalog) -> list[dict[str, Any]]:
    """The alerting rules of one model, in a fixed order."""
    engine = plan.facts.checked_engine
    limits = _thresholds(plan, catalog, engine)
    facts = catalog.alerting
    window, hold = facts.rate_window, facts.for_minutes
    # a model may take this long to load before "down" means down
    loading = max(hold, math.ceil(startup_seconds(plan.spec, catalog) / 60))
    up = f"(sum({series(facts.up_metric, plan)}) or vector(0))"
    scraped = engine.metrics is not None  # else `up` is never 1: no scrape alerts
    found = [_alert(plan, "ModelNoReplicaUp", f"{up} == 0", loading, "critical",
                    "No replica is serving", "No replica has answered a metrics scrape")
             ] if scraped else []
    minimum = plan.spec["scaling"]["minReplicas"]
    if minimum > 1 and scraped:
        found.append(_alert(plan, "ModelBelowMinReplicas", f"{up} < {minimum}", loading,
                            "warning", "Fewer replicas than the minimum",
                            f"Fewer than {minimum} replicas answer metrics scrapes"))
    signals = engine.load_signals
    if "queue-size" in signals and "queueSize" in limits:
        found.append(_alert(
            plan, "ModelQueueSaturated",
            f"avg({series(signals['queue-size'].metric, plan)}) > {limits['queueSize']:g}",
            hold, "warning", "Requests are queueing",
            f"More than {limits['queueSize']:g} requests wait per replica"))
    if "kv-cache-usage" in signals:
        found.append(_alert(
            plan, "ModelKVCacheNearlyFull",
            f"max({series(signals['kv-cache-usage'].metric, plan)}) > "
            f"{limits['kvCacheUsage']:g}",
            hold, "warning", "KV cache nearly full",
            f"KV-cache use is above {limits['kvCacheUsage']:.0%}; requests will be preempted"))
    errors = engine.alerts.errors
    if errors:
        failed_series = series(errors.failed, plan, errors.failed_match or "")
        failed = f"sum(rate({failed_series}[{window}]))"
        total = f"sum(rate({series(errors.total, plan)}[{window}]))"
        found.append(_alert(
            plan, "ModelErrorRate",
            f"{failed} / clamp_min({total}, 1e-9) > {limits['errorRate']:g}",
            hold, "warning", "Requests are failing",
            f"More than {limits['errorRate']:.0%} of requests fail"))
    latency = engine.alerts.latency
    if latency:
        found.append(_alert(
            plan, "ModelSlow", f"{p95(latency, plan, window)} > {limits['latencySeconds']:g}",
            hold, "warning", "Responses are slow",
            f"The 95th percentile {latency.measures} is above "
            f"{limits['latencySeconds']:g} s"))
    restarts = (f'sum(increase({facts.restarts_metric}{{namespace="{plan.namespace}",'
                f'container="{engines.CONTAINER_NAME}",pod=~"{_pods_regex(plan)}"}}'
                f'[{facts.restarts_window}])) > {limits["restarts"]:g}')
    found.append(_alert(plan, "ModelRestarting", restarts, 0, "warning",
                        "Containers are restarting",
                        f"More than {limits['restarts']:g} restarts in "
                        f"{_minutes(facts.restarts_window)} minutes"))
    return found


def _minutes(duration: str) -> int:
    """`30m` -> 30 (the catalog writes its windows in minutes)."""
    return int(duration.removesuffix("m"))


def _groups(plan: Plan, catalog: Catalog) -> list[dict[str, Any]]:
    """The engine's alerts (monitoring.alerts), then the SLO's rules (monitoring.slo)."""
    return ([{"name": f"{plan.name}.rules", "interval": catalog.alerting.evaluation_interval,
              "rules": rules(plan, catalog)}] if plan.spec["monitoring"]["alerts"] else []
            ) + slo.groups(plan, catalog)


def _enabled(plan: Plan) -> bool:
    monitoring = plan.spec["monitoring"]
    return bool(monitoring["enabled"] and (monitoring["alerts"] or monitoring.get("slo")))


def managed_rules(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    """Rules for Managed Service for Prometheus (GKE)."""
    if not _enabled(plan) or portable(plan):
        return None
    return {"apiVersion": catalog.kubernetes.api("Rules"), "kind": "Rules",
            "metadata": labels.metadata(plan), "spec": {"groups": _groups(plan, catalog)}}


def prometheus_rule(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    """The same rules for prometheus-operator (the portable target)."""
    if not _enabled(plan) or not portable(plan):
        return None
    return {"apiVersion": catalog.kubernetes.api("PrometheusRule"), "kind": "PrometheusRule",
            "metadata": labels.metadata(plan), "spec": {"groups": _groups(plan, catalog)}}
