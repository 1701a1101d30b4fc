"""Every alerting and recording rule infergen renders reads series, labels and label values
its engine exports at the release the engine's contract pins (catalog engines.yaml
`exports`, read from the engine's source at that release): a renamed series or a wrong
label value (vLLM's finished_reason="abort" for server errors) fails here, not in production."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import promql_parser
import pytest

from generator import catalog
from generator.catalog.engine_contracts import contract
from generator.objects.monitoring import TARGET_LABELS
from generator.spec.yamlio import load_plain
from tests.conftest import CASES, ROOT, golden_cases

TREES = [ROOT / "rendered", *(CASES / case / "expected" for case in golden_cases())]
# labels every scraped series carries besides the engine's own: the scrape's target labels
# (objects/monitoring.py TARGET_LABELS, GMP's namespace/pod/container) and a bucket's `le`
SCRAPE_LABELS = {target for _, target in TARGET_LABELS} | {"namespace", "pod", "container"}
HISTOGRAM_SERIES = ("_bucket", "_count", "_sum")


def _nodes(node: Any) -> Iterator[Any]:
    yield node
    for name in ("expr", "lhs", "rhs", "vector_selector", "param"):
        child = getattr(node, name, None)
        if child is not None and not isinstance(child, (int, float, str)):
            yield from _nodes(child)
    for arg in getattr(node, "args", None) or ():
        yield from _nodes(arg)


def selectors(query: str) -> list[tuple[str, dict[str, str], set[str]]]:
    """(metric, {label: value of an equality matcher, or "" for others}, grouping labels)."""
    found = []
    grouping: set[str] = set()
    for node in _nodes(promql_parser.parse(query)):
        modifier = getattr(node, "modifier", None)
        if isinstance(node, promql_parser.AggregateExpr) and modifier is not None:
            grouping |= set(modifier.labels)
        if isinstance(node, promql_parser.VectorSelector):
            matchers = {m.name: (m.value if str(m.op) == "MatchOp.Equal" else "")
                        for m in node.matchers.matchers}
            found.append((node.name, matchers, grouping))
    return found


def _rules() -> list[tuple[str, str, str]]:
    found = []
    for tree in TREES:
        for path in sorted(tree.rglob("*.yaml")):
            obj = load_plain(path.read_text())
            if obj.get("kind") not in ("Rules", "PrometheusRule"):
                continue
            engine = obj["metadata"]["labels"]["app.kubernetes.io/name"]
            for group in obj["spec"]["groups"]:
                for rule in group["rules"]:
                    name = rule.get("alert") or rule["record"]
                    found.append((f"{tree.parent.name}/{path.relative_to(tree)}#{name}",
                                  engine, rule["expr"]))
    return found


RULES = _rules()


@cache
def _recorded() -> frozenset[str]:
    """Series infergen's own recording rules write (its SLO alerts read them back)."""
    return frozenset(rule["record"] for tree in TREES
                     for path in [*tree.rglob("rules.yaml"), *tree.rglob("prometheusrule.yaml")]
                     for group in load_plain(path.read_text())["spec"]["groups"]
                     for rule in group["rules"] if "record" in rule)


def problems(engine: str, expr: str) -> list[str]:
    """What `expr` reads that `engine`'s pinned release does not export."""
    facts = catalog.load()
    exports = facts.engines[engine].exports
    found = []
    for metric, matchers, grouping in selectors(expr):
        if metric in (facts.alerting.up_metric, facts.alerting.restarts_metric) \
                or metric in _recorded() or exports is None:
            continue  # the scrape's own, kube-state-metrics', infergen's, a custom engine's
        base = next((metric.removesuffix(s) for s in HISTOGRAM_SERIES if metric.endswith(s)
                     and metric.removesuffix(s) in exports.metrics), metric)
        exported = exports.metrics.get(base)
        if exported is None:
            found.append(f"{engine} {exports.version} exports no {metric}")
            continue
        allowed = SCRAPE_LABELS | set(exported.labels) | (
            {"le"} if metric.endswith("_bucket") else set())
        found += [f"{metric} has no label {label}"
                  for label in sorted((set(matchers) | grouping) - allowed)]
        found += [f"{metric}: {label}={value!r} is none of {list(exported.values[label])}"
                  for label, value in sorted(matchers.items())
                  if value and label in exported.values and value not in exported.values[label]]
        latency = facts.engines[engine].alerts.latency
        le = matchers.get("le")
        if latency and latency.buckets and base == latency.histogram and le \
                and le not in (*latency.buckets, "+Inf"):
            found.append(f"{metric}: le={le!r} is no bucket boundary")
    return found


def test_exports_are_read_at_the_release_each_contract_pins() -> None:
    data = catalog.load()
    pinned = {name: engine.exports.version for name, engine in data.engines.items()
              if engine.exports is not None}
    assert {"vllm", "tgi", "sglang"} <= set(pinned)
    assert pinned == {name: getattr(contract(name), "version", None) for name in pinned}


def test_there_are_rules_of_several_engines() -> None:
    assert {"vllm", "tgi"} <= {engine for _, engine, _ in RULES}


@pytest.mark.parametrize(("where", "engine", "expr"), RULES, ids=[w for w, _, _ in RULES])
def test_rule_reads_what_its_engine_exports(where: str, engine: str, expr: str) -> None:
    assert problems(engine, expr) == []


def test_the_vllm_error_alert_counts_server_errors_not_clients_going_away() -> None:
    errors = catalog.load().engines["vllm"].alerts.errors
    assert errors is not None and errors.failed_match == 'finished_reason="error"'


@pytest.mark.parametrize(("expr", "problem"), [
    ('sum(rate(vllm:request_success_total{finished_reason="failed"}[5m]))',
     "finished_reason='failed' is none of"),
    ('sum(vllm:num_requests_waiting{namespace="a",queue="x"})', "has no label queue"),
    ('sum by (reason) (vllm:num_requests_waiting{namespace="a"})', "has no label reason"),
    ("sum(vllm:gpu_cache_usage_perc)", "exports no vllm:gpu_cache_usage_perc"),
    ('sum(rate(vllm:time_to_first_token_seconds_bucket{le="2"}[5m]))', "no bucket boundary"),
    ('sum(rate(vllm:time_to_first_token_seconds_bucket{le="2.5"}[5m]))', ""),
])
def test_a_series_label_or_value_the_engine_lacks_is_found(expr: str, problem: str) -> None:
    found = problems("vllm", expr)
    assert (problem in "\n".join(found)) if problem else found == []
