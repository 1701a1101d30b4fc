"""`infergen diff` on a temporary git repository with two commits: the Markdown and JSON
summaries, the risks called out, and that the working tree and git state are left alone."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator.cli import main
from tests.errorcases import PLATFORM

A = """\
apiVersion: infergen.dev/v1alpha1
kind: ModelDeployment
metadata:
  name: a
  namespace: llm
spec:
  model: {source: hf://org/a}
  accelerator: {type: nvidia-l4}
  scaling: {minReplicas: 1, maxReplicas: 2}
"""
B = """\
apiVersion: infergen.dev/v1alpha1
kind: ModelDeployment
metadata:
  name: b
  namespace: old
spec:
  model: {source: hf://org/b}
  accelerator: {type: nvidia-l4}
  deployTo: [dev]
"""


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t",
                           *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


def _write(repo: Path, files: dict[str, str | None]) -> None:
    for name, text in files.items():
        path = repo / "specs" / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """First commit: a (dev and prod) and b (dev only, namespace `old`)."""
    _git(tmp_path, "init", "-q", "-b", "main")
    _write(tmp_path, {"platform.yaml": PLATFORM, "llm/a.yaml": A, "old/b.yaml": B})
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "base")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _diff(*args: str) -> Result:
    return CliRunner().invoke(main, ["diff", *args])


def _change(repo: Path) -> None:
    """Second state: a on two GPUs with more replicas, b removed, c added."""
    _write(repo, {
        "llm/a.yaml": A.replace("{type: nvidia-l4}", "{type: nvidia-l4, count: 2}")
                       .replace("maxReplicas: 2", "maxReplicas: 4"),
        "old/b.yaml": None,
        "llm/c.yaml": A.replace("name: a", "name: c").replace("org/a", "org/c"),
    })


def test_markdown_summary(repo: Path) -> None:
    _change(repo)
    status = _git(repo, "status", "--porcelain")
    result = _diff()
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("## infergen diff\n\nRendered objects compared with `HEAD`: ")
    assert "### dev: " in out and "### prod: " in out
    assert "| added | `Deployment llm/c` | `dev/llm/c/deployment.yaml` |" in out
    assert "| removed | `Deployment old/b` | `dev/old/b/deployment.yaml` |" in out
    assert "| changed | `Deployment llm/a` | `prod/llm/a/deployment.yaml` |" in out
    assert ("- `spec.template.spec.containers[inference-server].resources.limits.nvidia.com/"
            "gpu`: `1` → `2`") in out
    assert "- `spec.maxReplicas`: `2` → `4`" in out
    assert "<details><summary>Full YAML diff</summary>" in out
    assert "\n-            nvidia.com/gpu: 1\n" in out
    assert "\n+            nvidia.com/gpu: 2\n" in out
    # the risks, on top
    assert "> **RISK**: namespace `old` is removed from `dev`: Config Sync deletes it" in out
    assert ("> **RISK**: `Deployment llm/a` in `prod` changes accelerator from `nvidia-l4, "
            "nvidia.com/gpu: 1` to `nvidia-l4, nvidia.com/gpu: 2`") in out
    assert "loses all its models" not in out
    # nothing touched: no rendered/, same git state
    assert not (repo / "rendered").exists()
    assert _git(repo, "status", "--porcelain") == status


def test_environment_losing_all_its_models(repo: Path) -> None:
    _write(repo, {"llm/a.yaml": A + "  deployTo: [dev]\n"})
    result = _diff()
    assert result.exit_code == 0, result.output
    assert ("> **RISK**: environment `prod` loses all its models: Config Sync deletes "
            "everything it synced from its root on every cluster of `prod`") in result.stdout
    assert "> **RISK**: namespace `llm` is removed from `prod`" in result.stdout


def test_json(repo: Path) -> None:
    _change(repo)
    result = _diff("--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["base"] == "HEAD"
    dev = {c["path"]: c for c in report["environments"]["dev"]}
    assert dev["dev/llm/c/deployment.yaml"]["status"] == "added"
    assert dev["dev/old/b/deployment.yaml"]["status"] == "removed"
    fields = {f["field"]: (f["old"], f["new"]) for f in
              dev["dev/llm/a/horizontalpodautoscaler.yaml"]["fields"]}
    assert fields == {"spec.maxReplicas": (2, 4)}
    # 3 about objects; 2 about capacity: the clusters name no region, so the L4s are not
    # priced, and their count at maxReplicas is watched (dev: a 2 -> 8, b 1 -> 0, c 0 -> 2)
    assert len(report["risks"]) == 5
    assert [r for r in report["risks"] if "no list price" in r] == [
        f"`{env}`'s nvidia-l4 at maxReplicas rises {rise}, more than diff.costRiskPercent "
        "(25%); it has no list price, so the price above leaves it out"
        for env, rise in (("dev", "233% (3 → 10)"), ("prod", "400% (2 → 10)"))]


def test_no_change(repo: Path) -> None:
    result = _diff()
    assert result.exit_code == 0
    assert result.stdout == ("## infergen diff\n\nNo change to the rendered tree (compared "
                             "with `HEAD`).\n")


def test_base_ref_and_merge_base(repo: Path) -> None:
    first = _git(repo, "rev-parse", "HEAD").strip()
    _git(repo, "update-ref", "refs/remotes/origin/main", first)
    _change(repo)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "change")
    by_default = _diff()  # the merge base with origin/main: the first commit
    assert f"compared with `{first}`" in by_default.stdout
    assert "| added | `Deployment llm/c`" in by_default.stdout
    assert "No change to the rendered tree" in _diff("--base", "HEAD").stdout


def test_unknown_base(repo: Path) -> None:
    result = _diff("--base", "no-such-branch")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "no-such-branch: error[diff] 'no-such-branch' is not a commit of the repository"]


def test_broken_working_tree_is_reported_not_diffed(repo: Path) -> None:
    _write(repo, {"llm/a.yaml": A.replace("nvidia-l4", "nvidia-l5")})
    result = _diff()
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[0].startswith("specs/llm/a.yaml:8:23: error[schema] ")
    assert result.stderr.splitlines()[-1] == ("infergen: the specs at the working tree do "
                                              "not compile")


SHARDED = PLATFORM.replace("repo: https://example.com/config.git",
                           "repo: https://example.com/config.git\n    maxObjectsPerRoot: 30")


def test_diff_keeps_the_placement_each_side_had(repo: Path) -> None:
    """The base is compiled with the placement committed at the base, the working tree with
    its own: a sticky change shows no move, a placement lost shows every move as a RISK."""
    models = {f"m{i:02d}.yaml": A.replace("name: a", f"name: m{i:02d}") for i in range(10)}
    _write(repo, {"platform.yaml": SHARDED, "llm/a.yaml": None, "old/b.yaml": None, **models})
    assert CliRunner().invoke(main, ["render"]).exit_code == 0
    _write(repo, {"a-first.yaml": A.replace("name: a", "name: a-first")})  # sorts first
    assert CliRunner().invoke(main, ["render"]).exit_code == 0  # placed last: sticky
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "sharded")
    _write(repo, {"m09.yaml": A.replace("name: a", "name: m09").replace("maxReplicas: 2",
                                                                       "maxReplicas: 3")})
    sticky = _diff("--base", "HEAD")
    assert sticky.exit_code == 0, sticky.output
    assert "moves from root" not in sticky.output
    _git(repo, "rm", "-q", "-r", "--cached", "rendered")
    subprocess.run(["rm", "-rf", str(repo / "rendered")], check=True)
    lost = _diff("--base", "HEAD")
    assert lost.exit_code == 0, lost.output
    assert "**RISK**: model `llm/a-first` in `dev` moves from root" in lost.output


def test_a_new_runtime_adapter_changes_only_its_config_map(repo: Path) -> None:
    lora = A.replace("model: {source: hf://org/a}", "model:\n    source: hf://org/a\n"
                     "    adapters: [{name: x, source: hf://org/x, loading: dynamic}]")
    _write(repo, {"llm/a.yaml": lora})
    _git(repo, "commit", "-q", "-am", "dynamic adapter")
    second = "loading: dynamic}, {name: y, source: hf://org/y, loading: dynamic}]"
    _write(repo, {"llm/a.yaml": lora.replace("loading: dynamic}]", second)})
    result = _diff("--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    changed = {c["path"]: c for items in report["environments"].values() for c in items}
    # the pods are not restarted: only the syncer's list changes
    assert sorted(changed) == ["dev/llm/a/configmap-lora-adapters.yaml",
                               "prod/llm/a/configmap-lora-adapters.yaml"]
    fields = changed["prod/llm/a/configmap-lora-adapters.yaml"]["fields"]
    assert fields == [{"field": "adapters loaded at run time (the LoRA syncer applies them; "
                                "no pod restarts)", "old": ["x"], "new": ["x", "y"]}]
    assert report["risks"] == []
