"""A model's service level objectives (`monitoring.slo`) as Prometheus rules: recording rules
of the share of bad requests over each window, and the multi-window, multi-burn-rate alerts
of the SRE workbook (catalog observability.yaml `slo.burnRates`): an alert fires while both
its long and its short window burn the error budget `factor` times faster than the
objective allows. They go into the model's Rules (GMP) or PrometheusRule object; no Config
Connector needed.

- availability: failed / all requests, from the engine's request counters (engines.yaml
  `alerts.errors`);
- latency: requests over `latencySeconds` / all requests, from the engine's latency
  histogram (`alerts.latency`): its `_count` less its bucket at that boundary.
"""

from __future__ import annotations

from typing import Any

from generator.catalog import Catalog
from generator.objects.monitoring import series
from generator.plan.records import Plan

RECORD = "infergen:slo_{kind}:ratio_rate{window}"
BY = "sum by (namespace, model)"


def _ratios(plan: Plan, catalog: Catalog) -> dict[str, tuple[str, str]]:
    """kind -> (bad requests' rate, all requests' rate), each a query over `[$W]`."""
    slo = plan.spec["monitoring"].get("slo") or {}
    engine = plan.facts.checked_engine
    found = {}
    errors = engine.alerts.errors
    if "availabilityTarget" in slo and errors:
        found["errors"] = (
            f"{BY} (rate({series(errors.failed, plan, errors.failed_match or '')}[$W]))",
            f"{BY} (rate({series(errors.total, plan)}[$W]))")
    latency = engine.alerts.latency
    if "latencyTarget" in slo and latency and latency.buckets:
        le = latency.boundary(slo["latencySeconds"])
        total = f"{BY} (rate({series(latency.histogram + '_count', plan)}[$W]))"
        bucket = series(latency.histogram + "_bucket", plan, f'le="{le}"')
        fast = f"{BY} (rate({bucket}[$W]))"
        found["slow"] = (f"({total} - {fast})", total)
    return found


def _windows(catalog: Catalog) -> list[str]:
    rates = catalog.observability.slo.burn_rates
    return sorted({w for rate in rates for w in (rate.long, rate.short)},
                  key=lambda w: (w[-1] != "m", int(w[:-1])))


def _targets(plan: Plan) -> dict[str, tuple[float, str]]:
    slo = plan.spec["monitoring"].get("slo") or {}
    return {"errors": (slo.get("availabilityTarget", 0), "availability"),
            "slow": (slo.get("latencyTarget", 0), "latency")}


def groups(plan: Plan, catalog: Catalog) -> list[dict[str, Any]]:
    """The model's SLO rule group; none without `monitoring.slo`."""
    ratios = _ratios(plan, catalog)
    if not ratios:
        return []
    where = f"{plan.namespace}/{plan.name} in {plan.environment.name}"
    selector = f'{{namespace="{plan.namespace}",model="{plan.name}"}}'
    rules: list[dict[str, Any]] = []
    for kind, (bad, total) in ratios.items():
        for window in _windows(catalog):
            rules.append({"record": RECORD.format(kind=kind, window=window),
                          "expr": f"{bad.replace('$W', window)} / clamp_min("
                                  f"{total.replace('$W', window)}, 1e-9)"})
    for kind in ratios:
        target, objective = _targets(plan)[kind]
        budget = 1 - target
        for rate in catalog.observability.slo.burn_rates:
            threshold = f"{round(rate.factor * budget, 12):g}"
            long_ = RECORD.format(kind=kind, window=rate.long) + selector
            short = RECORD.format(kind=kind, window=rate.short) + selector
            rules.append({
                "alert": f"Model{objective.capitalize()}BudgetBurn",
                "expr": f"{long_} > {threshold} and {short} > {threshold}",
                "labels": {"severity": rate.severity, "model": plan.name,
                           "environment": plan.environment.name, "slo": objective,
                           "window": rate.long},
                "annotations": {
                    "summary": f"The {objective} SLO's error budget burns {rate.factor:g}x "
                               f"too fast: {where}",
                    "description": f"Over {rate.long} and {rate.short}, more than "
                                   f"{threshold} of requests "
                                   f"{'failed' if kind == 'errors' else 'were slow'} "
                                   f"(objective {target:g}; {where})."}})
    return [{"name": f"{plan.name}.slo", "interval": catalog.alerting.evaluation_interval,
             "rules": rules}]
