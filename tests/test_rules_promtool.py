"""Every rendered rule group (GMP Rules and prometheus-operator PrometheusRule objects: the
engines' alerts and the SLOs' recording rules and burn-rate alerts) passes Prometheus's own
`promtool check rules`: expressions, durations, names and labels as Prometheus reads them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from generator.spec.yamlio import load_plain
from tests.conftest import CASES, ROOT, golden_cases

TREES = {"examples": ROOT / "rendered",
         **{case: CASES / case / "expected" for case in golden_cases()}}


def _rule_files(tree: Path, into: Path) -> list[Path]:
    """Each rules object of the tree as a Prometheus rule file (its spec.groups)."""
    written = []
    for index, path in enumerate(sorted(tree.rglob("*.yaml"))):
        obj = load_plain(path.read_text())
        if obj.get("kind") in ("Rules", "PrometheusRule"):
            target = into / f"{index}-{path.stem}.yaml"
            target.write_text(yaml.safe_dump({"groups": obj["spec"]["groups"]}))
            written.append(target)
    return written


@pytest.mark.parametrize("tree", sorted(TREES))
def test_rules_pass_promtool(promtool: str, tree: str, tmp_path: Path) -> None:
    files = _rule_files(TREES[tree], tmp_path)
    if not files:
        return  # a tree without alerts
    checked = subprocess.run([promtool, "check", "rules", *map(str, files)],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_trees_have_slo_rules_to_check(tmp_path: Path) -> None:
    files = _rule_files(TREES["slo"], tmp_path)
    records = [r for f in files for g in yaml.safe_load(f.read_text())["groups"]
               for r in g["rules"] if "record" in r]
    assert len(records) == 12  # 4 windows x (errors, slow) for chat, 4 x errors for TGI


def test_promtool_refuses_a_broken_rule(promtool: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [
        {"record": "infergen:slo_errors:ratio_rate5m", "expr": "sum(rate(x[5m])"}]}]}))
    checked = subprocess.run([promtool, "check", "rules", str(bad)], capture_output=True,
                             text=True, check=False)
    assert checked.returncode != 0
