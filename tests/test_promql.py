"""Every PromQL expression infergen writes (alerts, KEDA queries, dashboards) parses with a
real PromQL parser, and every metric it reads is one the catalog knows."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import promql_parser
import pytest

from generator import catalog
from generator.spec.yamlio import load_plain
from tests.conftest import CASES, ROOT, golden_cases

TREES = [ROOT / "rendered", *(CASES / case / "expected" for case in golden_cases())]


@cache
def _custom_metrics() -> frozenset[str]:
    """Metrics custom engines name in their specs (server.metrics)."""
    found = set()
    for specs in [ROOT / "specs", *(CASES / case / "specs" for case in golden_cases())]:
        for path in specs.rglob("*.yaml"):
            server = (load_plain(path.read_text()).get("spec") or {}).get("server") or {}
            found |= {v for k, v in server.get("metrics", {}).items() if k not in ("port", "path")}
    return frozenset(found)


@cache
def _known_metrics() -> frozenset[str]:
    data = catalog.load()
    # series from outside the engines: the scrape's own, and GKE's kube-state-metrics
    boards = data.observability.dashboards
    known = {data.alerting.up_metric, data.alerting.restarts_metric,
             data.gke.dcgm.renamed, *_custom_metrics(), boards.replicas_metric,
             boards.max_replicas_metric, boards.accelerator_metric}
    for engine in data.engines.values():
        known |= {s.metric for s in engine.load_signals.values()}
        if engine.alerts.latency is not None:  # a histogram's series (its _count: SLOs)
            known |= {engine.alerts.latency.histogram + s for s in ("_bucket", "_count")}
        if engine.alerts.errors is not None:
            known |= {engine.alerts.errors.failed, engine.alerts.errors.total}
    # infergen's own recording rules (objects/slo.py), read back by its burn-rate alerts
    known |= {r["record"] for tree in TREES for path in tree.rglob("*.yaml")
              for r in _rules_of(load_plain(path.read_text())) if "record" in r}
    return frozenset(known)


def _rules_of(obj: dict[str, Any]) -> list[dict[str, Any]]:
    if obj.get("kind") not in ("Rules", "PrometheusRule"):
        return []
    return [r for g in obj["spec"]["groups"] for r in g["rules"]]


def _queries(obj: dict[str, Any]) -> list[str]:
    kind = obj.get("kind")
    if kind in ("Rules", "PrometheusRule"):
        return [r["expr"] for g in obj["spec"]["groups"] for r in g["rules"]]
    if kind == "ScaledObject":
        return [t["metadata"]["query"] for t in obj["spec"]["triggers"]
                if t["type"] == "prometheus"]
    if kind == "MonitoringDashboard":  # Config Connector's: the same body under spec
        obj = obj["spec"]
    if "mosaicLayout" in obj:
        return [_filled(d["timeSeriesQuery"]["prometheusQuery"])
                for t in obj["mosaicLayout"]["tiles"] for d in t["widget"]["xyChart"]["dataSets"]]
    return []


def _filled(query: str) -> str:
    """A dashboard query with each template variable as Cloud Monitoring fills it in: the
    selected label matcher (catalog observability.yaml `variables`)."""
    for variable in catalog.load().observability.dashboards.variables:
        query = query.replace(f"${{{variable.name}}}", f'{variable.label_key}=~".+"')
    return query


QUERIES = [(f"{tree.parent.name}/{path.relative_to(tree)}#{i}", query)
           for tree in TREES for path in sorted(tree.rglob("*.yaml"))
           for i, query in enumerate(_queries(load_plain(path.read_text())))]


def test_there_are_queries_to_check() -> None:
    kinds = {name.split("#")[0].rsplit("/", 1)[-1] for name, _ in QUERIES}
    assert {"rules.yaml", "prometheusrule.yaml", "scaledobject.yaml", "dev.yaml",
            "prod.fleet.yaml", "monitoringdashboard-models.yaml",
            "monitoringdashboard-fleet.yaml"} <= kinds


@pytest.mark.parametrize(("where", "query"), QUERIES, ids=[w for w, _ in QUERIES])
def test_query_parses_and_reads_known_metrics(where: str, query: str) -> None:
    promql_parser.parse(query)  # raises on any syntax error
    metrics = set(re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{", query))
    assert metrics, "every query selects the model's series by label"
    assert metrics <= _known_metrics(), metrics - _known_metrics()
    # every query is narrowed to a model, or to the environment (the dashboards)
    assert 'namespace="' in query or "environment=" in query or "namespace_name=~" in query \
        or "namespace=~" in query


def test_dashboard_queries_name_their_template_variables() -> None:
    boards = [load_plain(p.read_text()) for p in (ROOT / "rendered" / "dashboards").glob("*")]
    drill = [b for b in boards if "dashboardFilters" in b]
    assert drill, "each environment has a drill-down dashboard"
    for board in drill:
        names = {f"${{{f['templateVariable']}}}" for f in board["dashboardFilters"]}
        for tile in board["mosaicLayout"]["tiles"]:
            for data in tile["widget"]["xyChart"]["dataSets"]:
                query = data["timeSeriesQuery"]["prometheusQuery"]
                assert all(name in query for name in names), query


def test_the_parser_rejects_a_broken_query() -> None:
    with pytest.raises(Exception):  # noqa: B017 - the binding raises a bare exception type
        promql_parser.parse("sum(rate(up{model=\"x\"}[5m])")
