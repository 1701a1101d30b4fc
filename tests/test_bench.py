"""The benchmark's synthetic fleets are valid, varied specs (the benchmark itself is run by
`make bench`, not timed in tests)."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

from bench.fleet import ARCHETYPES, METRICS, platform, spec_text, write_fleet
from bench.floor import floor
from bench.run import change_one_spec, table, verdicts, widget_counts
from generator.spec.yamlio import load_plain
from tests.conftest import render_tree


def test_a_small_fleet_renders_without_a_diagnostic(tmp_path: Path) -> None:
    write_fleet(tmp_path / "specs", 40)
    outcome = render_tree(tmp_path / "specs")
    assert outcome.tree is not None
    assert [d.text() for d in outcome.diagnostics] == []
    docs = [load_plain(p.read_text()) for p in (tmp_path / "specs").rglob("*.yaml")]
    engines = Counter(d["spec"].get("server", {}).get("engine", "vllm") for d in docs
                      if d["kind"] == "ModelDeployment")
    assert len(engines) >= 4  # the fleet spreads over engines
    assert floor(tmp_path / "specs", [load_plain(t) for t in outcome.tree.values()]) > 0


def test_the_bench_counts_every_dashboards_widgets(tmp_path: Path) -> None:
    write_fleet(tmp_path / "specs", 40)
    outcome = render_tree(tmp_path / "specs")
    assert outcome.tree is not None
    counts = widget_counts({p: load_plain(t) for p, t in outcome.tree.items()})
    assert sorted(counts) == [
        "dashboards/dev.fleet.yaml", "dashboards/dev.yaml", "dashboards/staging.fleet.yaml",
        "dashboards/staging.yaml", "prod/infergen-gcp/monitoringdashboard-fleet.yaml",
        "prod/infergen-gcp/monitoringdashboard-models.yaml"]
    row = {"seconds": 1.0, "peak_rss_mib": 1.0, "floor_ratio": None}
    found = verdicts({"sizes": [{"specs": 40, "scenarios": {"cold": row},
                                 "dashboard_widgets": counts}]})
    assert found == [f"ok   40 specs: 6 dashboards, at most {max(counts.values())} widgets "
                     "(<= 100)"]
    too_many = verdicts({"sizes": [{"specs": 40, "scenarios": {"cold": row},
                                    "dashboard_widgets": {"dashboards/dev.yaml": 101}}]})
    assert too_many == ["MISS 40 specs: 1 dashboards, at most 101 widgets (<= 100)"]


def test_the_fleet_is_the_same_for_the_same_seed(tmp_path: Path) -> None:
    first = write_fleet(tmp_path / "a", 15)
    second = write_fleet(tmp_path / "b", 15)
    assert [p.read_text() for p in first] == [p.read_text() for p in second]


def test_the_one_spec_change_reaches_the_tree_every_time(tmp_path: Path) -> None:
    write_fleet(tmp_path / "specs", 20)
    trees = [render_tree(tmp_path / "specs").tree]
    for _ in range(2):  # the bench changes the same spec once per repeat
        change_one_spec(tmp_path / "specs")
        trees.append(render_tree(tmp_path / "specs").tree)
    assert all(tree for tree in trees)
    assert trees[0] != trees[1] != trees[2]


def test_the_verdicts_leave_out_what_was_skipped() -> None:
    row = {"seconds": 2.0, "peak_rss_mib": 100.0, "floor_ratio": None}  # no floor measured
    results = {"sizes": [{"specs": 1000, "scenarios": {"cold": row, "one": row}}]}
    assert verdicts(results) == ["ok   cold <= 10 s", "ok   peak RSS <= 1024 MiB"]
    measured = {**row, "floor_ratio": 0.2}
    results = {"sizes": [{"specs": 1000, "scenarios": {"cold": measured, "one": measured}},
                         {"specs": 10_000, "scenarios": {"one": {**row, "seconds": 4.5}},
                          "git_status": {"before_s": 1.0, "after_s": 1.2, "ratio": 1.2}}]}
    assert verdicts(results) == [
        "ok   cold <= 10 s", "ok   cold <= 1x floor", "MISS one spec changed <= 0.15x floor",
        "ok   peak RSS <= 1024 MiB", "MISS 10000 specs: one spec changed <= 4 s",
        "ok   10000 specs: git status after <= 1.5x before",
        "ok   10000 specs: peak RSS <= 2048 MiB"]
    assert "cold  " in table({"sizes": [{"specs": 1000, "objects": 5, "floor_s": None,
                                         "scenarios": {"cold": {**row, "objects": 5,
                                                                "objects_per_s": 2.5,
                                                                "summary": ""}}}]})


def test_every_archetype_renders_with_every_metric_it_may_draw(tmp_path: Path) -> None:
    """A fleet draws its specs at random, so a small one can miss a broken archetype (after
    issue 13 the 10,000-spec fleet failed on two the 40-spec test never drew)."""
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "platform.yaml").write_text(spec_text(platform(10)))
    for index, (_, engine, base) in enumerate(ARCHETYPES):
        for metric in [*METRICS[engine], "none"]:
            doc: dict[str, Any] = {
                "apiVersion": "infergen.dev/v1alpha1", "kind": "ModelDeployment",
                "metadata": {"name": f"a{index}-{metric}", "namespace": "llm"},
                "spec": {**copy.deepcopy(base),
                         "scaling": {"minReplicas": 1, "maxReplicas": 3, "metric": metric}}}
            (specs / f"a{index}-{metric}.yaml").write_text(spec_text(doc))
    outcome = render_tree(specs)
    assert [d.text() for d in outcome.diagnostics] == []
    assert outcome.tree is not None
