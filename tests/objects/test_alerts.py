"""Alert thresholds follow the model's own scaling targets, and only the signal they are
set for."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import catalog
from generator.pipeline import compile_specs
from generator.spec.yamlio import load_plain
from tests.errorcases import MODEL, PLATFORM


def _queue_threshold(tmp_path: Path, scaling: str) -> float:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "platform.yaml").write_text(PLATFORM)
    (specs / "m.yaml").write_text(MODEL + f"  scaling: {scaling}\n  monitoring: {{alerts: true}}\n")
    outcome = compile_specs([specs], "rendered", catalog.load())
    assert outcome.tree is not None, outcome.diagnostics
    rules = load_plain(outcome.tree["dev/inference/m/rules.yaml"])
    expr = next(r["expr"] for g in rules["spec"]["groups"] for r in g["rules"]
                if "num_requests_waiting" in r["expr"])
    return float(expr.rpartition(">")[2])


@pytest.mark.parametrize(("scaling", "target"), [
    ("{minReplicas: 1, maxReplicas: 4, metric: queue-size, target: 7}", 7.0),
    ("{minReplicas: 1, maxReplicas: 4, metric: [queue-size, kv-cache-usage], "
     "target: {queue-size: 8, kv-cache-usage: 0.6}}", 8.0),
    # another signal's target says nothing about the queue: the engine's usual one holds
    ("{minReplicas: 1, maxReplicas: 4, metric: kv-cache-usage, target: 0.7}", None),
    ("{minReplicas: 1, maxReplicas: 4, metric: cpu, target: 60}", None),
])
def test_the_queue_alert_follows_the_queue_target_only(tmp_path: Path, scaling: str,
                                                       target: float | None) -> None:
    data = catalog.load()
    usual = data.engines["vllm"].load_signals["queue-size"].target
    assert usual is not None
    factor = data.alerting.queue_size_factor
    assert _queue_threshold(tmp_path, scaling) == (target or usual) * factor
