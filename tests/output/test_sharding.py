"""Sharding an environment into several Config Sync roots (generator/output/sharding.py): the
placement itself, then `infergen render` over a fleet larger than a root: every root under
the budget, every model in exactly one root, placement sticky through churn, moves only in
two commits, trees rendered before sharding kept as they are, shard roots never empty."""

from __future__ import annotations

import functools
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from generator import catalog, pipeline
from generator.cli import main
from generator.commands import diff
from generator.output import sharding
from generator.output.sharding import PLATFORM_ROOT, Budget, Previous, place
from generator.spec.yamlio import load_plain

BUDGET = Budget(limit=100, fill=80)
PLATFORM = """\
apiVersion: infergen.dev/v1alpha1
kind: Platform
metadata: {name: acme}
spec:
  configSync: {repo: https://example.com/config.git, maxObjectsPerRoot: 30}
  environments:
    - {name: dev, clusters: [dev-1]}
    - {name: prod, clusters: [prod-1, prod-2]}
"""


def model(name: str, namespace: str = "chat", extra: str = "") -> str:
    return (f"apiVersion: infergen.dev/v1alpha1\nkind: ModelDeployment\n"
            f"metadata: {{name: {name}, namespace: {namespace}}}\n"
            f"spec:\n  model: {{source: hf://org/{name}}}\n"
            f"  accelerator: {{type: nvidia-l4}}\n{extra}")


# ------------------------------------------------------------------ placement, pure

def test_a_fleet_over_the_budget_fills_roots_to_the_fill_target() -> None:
    sizes = {f"ns/m{i:02d}": 7 for i in range(40)}
    layout = place("prod", sizes, 3, Previous(), BUDGET)
    assert len(layout.counts) == 4
    assert all(layout.counts[shard] <= BUDGET.fill for shard in layout.shards)
    assert layout.counts[PLATFORM_ROOT] <= BUDGET.fill + len(layout.shards)  # their RootSyncs
    assert sorted(layout.models) == sorted(sizes)
    assert sum(layout.counts.values()) == 40 * 7 + 3 + 2 * len(layout.shards)
    assert not layout.plan and not layout.over and not layout.moving


def test_a_fleet_under_the_budget_stays_in_one_root() -> None:
    layout = place("prod", {"ns/a": 7, "ns/b": 7}, 1, Previous(), BUDGET)
    assert layout.counts == {PLATFORM_ROOT: 15} and not layout.shards


def test_churn_never_moves_a_model() -> None:
    rng = random.Random(14)
    sizes: dict[str, int] = {}
    before = Previous()
    for step in range(200):
        action = rng.random()
        if action < 0.5 or len(sizes) < 5:
            sizes[f"ns{rng.randrange(4)}/m{step}"] = rng.choice([5, 7, 12])
        elif action < 0.8:
            del sizes[rng.choice(sorted(sizes))]
        else:  # a change: one more or one fewer object
            key = rng.choice(sorted(sizes))
            sizes[key] = max(1, sizes[key] + rng.choice([-1, 1]))
        layout = place("prod", dict(sizes), 4, before, BUDGET)
        assert not layout.plan and not layout.over, step
        for key, root in before.models.items():
            if key in sizes:
                assert layout.models[key] == root, (step, key)
        assert all(count <= BUDGET.limit for count in layout.counts.values())
        before = Previous(True, layout.models, {}, tuple(layout.shards))


def test_a_root_over_the_budget_gets_a_move_plan_not_a_move() -> None:
    before = Previous(True, {"ns/a": PLATFORM_ROOT, "ns/b": PLATFORM_ROOT}, {}, ())
    layout = place("prod", {"ns/a": 60, "ns/b": 45}, 0, before, BUDGET)
    assert layout.models == before.models  # nothing moved
    assert layout.plan == [sharding.Move("ns/b", PLATFORM_ROOT, "_shard-001")]
    assert layout.overflow == {PLATFORM_ROOT: 105}


def test_moves_take_two_renders() -> None:
    before = Previous(True, {"ns/a": PLATFORM_ROOT, "ns/b": PLATFORM_ROOT}, {}, ())
    sizes = {"ns/a": 60, "ns/b": 45}
    started = place("prod", sizes, 0, before, BUDGET, sharding.START_MOVES)
    assert started.models == before.models and started.moving == {"ns/b": "_shard-001"}
    assert not started.plan and started.shards == ["_shard-001"]
    pending = Previous(True, started.models, started.moving, tuple(started.shards))
    assert place("prod", sizes, 0, pending, BUDGET).moving == started.moving  # stays pending
    done = place("prod", sizes, 0, pending, BUDGET, sharding.COMPLETE_MOVES)
    assert done.models == {"ns/a": PLATFORM_ROOT, "ns/b": "_shard-001"} and not done.moving


def test_a_model_larger_than_a_root_is_not_placed() -> None:
    layout = place("prod", {"ns/huge": 100, "ns/ok": 7}, 0, Previous(), BUDGET)
    assert layout.too_large == ["ns/huge"] and list(layout.models) == ["ns/ok"]


def test_the_platform_root_too_big_on_its_own() -> None:
    layout = place("prod", {"ns/a": 7}, 120, Previous(), BUDGET)
    assert PLATFORM_ROOT in layout.over


# ------------------------------------------------------------------ infergen render

def _render(folder: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["render", *args], catch_exceptions=False)


def _write(folder: Path, files: dict[str, str | None]) -> None:
    for name, text in files.items():
        path = folder / "specs" / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


def _fleet(count: int) -> dict[str, str | None]:
    return {"platform.yaml": PLATFORM,
            **{f"m{i:02d}.yaml": model(f"m{i:02d}", f"ns{i % 3}") for i in range(count)}}


def _roots(out: Path, env: str) -> list[Path]:
    return [out / env, *sorted(p for p in (out / env).glob("_shard-*") if p.is_dir())]


def _built(root: Path) -> list[dict[str, object]]:
    done = subprocess.run(["kubectl", "kustomize", str(root)], capture_output=True,
                          text=True, check=True)
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def _placement(out: Path, env: str) -> dict[str, str]:
    """Where each model is, from the tree itself: the root whose build holds its Deployment."""
    found: dict[str, str] = {}
    for root in _roots(out, env):
        for obj in _built(root):
            meta = obj["metadata"]
            assert isinstance(meta, dict)
            if obj["kind"] == "Deployment" and not str(meta["name"]).endswith("-epp"):
                key = f"{meta['namespace']}/{meta['name']}"
                assert key not in found, f"{key} in two roots"
                found[key] = root.relative_to(out / env).as_posix()
    return found


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INFERGEN_CACHE", "off")
    return tmp_path


def test_render_shards_a_fleet_over_the_budget(fleet: Path) -> None:
    _write(fleet, _fleet(12))
    result = _render(fleet)
    assert result.exit_code == 0, result.output
    out = fleet / "rendered"
    for env in ("dev", "prod"):
        roots = _roots(out, env)
        assert len(roots) >= 3
        for root in roots:
            assert 0 < len(_built(root)) <= 30, root  # under the budget, never empty
        assert sorted(_placement(out, env)) == sorted(f"ns{i % 3}/m{i:02d}" for i in range(12))
        record = yaml.safe_load((out / env / "placement.yaml").read_text())
        assert {k: v if v != "." else "." for k, v in record["models"].items()} == {
            k: v for k, v in _placement(out, env).items()}
    assert f"rendered/prod: {len(_roots(out, 'prod'))} roots (prod " in result.output
    assert _render(fleet, "--check").exit_code == 0


def test_placement_is_sticky_through_churn(fleet: Path) -> None:
    _write(fleet, _fleet(12))
    assert _render(fleet).exit_code == 0
    out = fleet / "rendered"
    first = _placement(out, "prod")
    _write(fleet, {"m00.yaml": None, "m05.yaml": None,  # removed
                   "a-new.yaml": model("a-new", "ns0"),  # added, sorts first
                   "m07.yaml": model("m07", "ns1", "  scaling: {maxReplicas: 9}\n")})
    result = _render(fleet)
    assert result.exit_code == 0, result.output
    second = _placement(out, "prod")
    for key, root in first.items():
        if key in second:
            assert second[key] == root, key
    assert "ns0/a-new" in second


def test_a_tree_rendered_before_sharding_is_kept_as_it_is(fleet: Path) -> None:
    _write(fleet, _fleet(3))  # 3 models: one root, no record, the layout of before
    assert _render(fleet).exit_code == 0
    out = fleet / "rendered"
    assert not (out / "prod" / "placement.yaml").exists()
    assert not list((out / "prod").glob("_shard-*"))
    before = {p: p.read_bytes() for p in (out / "prod").rglob("*.yaml")}
    _write(fleet, {f"x{i}.yaml": model(f"x{i}", "ns9") for i in range(4)})  # over the budget
    assert _render(fleet).exit_code == 0
    for path, data in before.items():
        if path.name != "kustomization.yaml":
            assert path.read_bytes() == data, path  # the first models did not move
    assert list((out / "prod").glob("_shard-*"))


def test_a_move_is_refused_then_done_in_two_commits(fleet: Path) -> None:
    _write(fleet, _fleet(4))
    assert _render(fleet).exit_code == 0
    out = fleet / "rendered"
    kept = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    # a model grows (Inference Gateway adds objects): its root overflows
    grown = model("m00", "ns0", "  routing: {inferenceGateway: true}\n")
    _write(fleet, {"m00.yaml": grown})
    refused = _render(fleet)
    assert refused.exit_code == 1
    assert "more than the budget of 30; move plan:" in refused.output
    assert "infergen render --move" in refused.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == kept
    before = _placement(out, "prod")
    started = _render(fleet, "--move")
    assert started.exit_code == 0, started.output
    record = yaml.safe_load((out / "prod" / "placement.yaml").read_text())
    assert record["moving"] and _placement(out, "prod") == before  # nothing moved yet
    for key in record["moving"]:
        for obj in _built(out / "prod"):
            meta = obj["metadata"]
            assert isinstance(meta, dict)
            if f"{meta.get('namespace')}/{meta['name']}".startswith(key):
                assert meta["annotations"]["configmanagement.gke.io/managed"] == "disabled"
    assert _render(fleet).exit_code == 0  # the pending move stays pending
    assert _render(fleet, "--check").exit_code == 0
    done = _render(fleet, "--complete-moves")
    assert done.exit_code == 0, done.output
    after = _placement(out, "prod")
    assert {k for k in after if after[k] != before[k]} == set(record["moving"])
    assert "moving" not in yaml.safe_load((out / "prod" / "placement.yaml").read_text())


def test_diff_flags_a_move_as_a_risk() -> None:
    deployment = "kind: Deployment\nmetadata: {name: m, namespace: ns}\n"
    base = {"prod/ns/m/deployment.yaml": deployment}
    head = {"prod/_shard-002/ns/m/deployment.yaml": deployment}
    report = diff.compare(base, head, catalog.load(), "main")
    assert report.risks == [
        "model `ns/m` in `prod` moves from root `prod` to `prod/_shard-002`: in one commit "
        "Config Sync deletes and recreates its objects; prepare it with `infergen render "
        "--move` in a commit of its own"]
    prepared = {"prod/ns/m/deployment.yaml": deployment.replace(
        "metadata: {", "metadata: {annotations: {configmanagement.gke.io/managed: disabled}, ")}
    assert "completes a move an earlier commit prepared" in diff.compare(
        {"prod/ns/m/deployment.yaml": yaml.safe_dump(yaml.safe_load(prepared[
            "prod/ns/m/deployment.yaml"]), sort_keys=False)}, head, catalog.load(),
        "main").risks[0]


def test_a_shard_whose_models_all_go_keeps_its_marker(fleet: Path) -> None:
    _write(fleet, _fleet(12))
    assert _render(fleet).exit_code == 0
    out = fleet / "rendered"
    placed = _placement(out, "prod")
    last = max(set(placed.values()) - {"."})
    gone = [k for k, root in placed.items() if root == last]
    _write(fleet, {f"{k.split('/')[1]}.yaml": None for k in gone})
    result = _render(fleet)
    assert result.exit_code == 0, result.output
    objects = _built(out / "prod" / last)
    assert [o["kind"] for o in objects] == ["ConfigMap"]  # the marker: never an empty root
    syncs = [o for o in _built(out / "prod") if o["kind"] == "RootSync"]
    assert any(o["spec"]["git"]["dir"].endswith(last) for o in syncs)  # type: ignore[index]


def test_a_damaged_placement_record_is_an_error(fleet: Path) -> None:
    _write(fleet, _fleet(12))
    assert _render(fleet).exit_code == 0
    record = fleet / "rendered" / "prod" / "placement.yaml"
    record.write_text(record.read_text().replace("models:", "modles:"), encoding="utf-8")
    result = _render(fleet)
    assert result.exit_code == 1
    assert ("rendered/prod/placement.yaml: error[check] is not a placement record infergen "
            "wrote (it needs roots, models) (hint: infergen reads it to keep every model in its "
            "root: restore it from git (git checkout -- rendered/prod/placement.yaml))"
            ) in result.output


def test_a_placement_record_that_is_not_text_is_an_error(fleet: Path) -> None:
    _write(fleet, _fleet(12))
    assert _render(fleet).exit_code == 0
    (fleet / "rendered" / "prod" / "placement.yaml").write_bytes(b"models: \xff\xfe\n")
    result = _render(fleet)
    assert result.exit_code == 1
    assert "rendered/prod/placement.yaml: error[check] cannot read the placement record" \
        in result.output


def test_an_environment_named_like_a_shard_is_refused(fleet: Path) -> None:
    _write(fleet, {"platform.yaml": PLATFORM.replace("name: dev", "name: shard-001"),
                   "m.yaml": model("m")})
    result = _render(fleet)
    assert result.exit_code == 1
    assert "environment name 'shard-001' is reserved" in result.output


def test_the_budget_comes_from_the_platform_or_the_catalog() -> None:
    facts = catalog.load().gke.config_sync
    assert sharding.budget_of(None, facts.max_objects_per_root, facts.root_fill_ratio) == \
        Budget(1000, 800)
    assert sharding.budget_of(30, 1000, 0.8) == Budget(30, 24)


# ------------------------------------------------------------------ tenancy: namespace

def test_each_namespace_is_a_root_of_its_own() -> None:
    sizes = {"chat/a": 7, "chat/b": 5, "search/c": 5}
    layout = sharding.place_by_namespace("prod", sizes, 9, Previous(), BUDGET)
    assert layout.models == {"chat/a": "_ns-chat", "chat/b": "_ns-chat", "search/c": "_ns-search"}
    assert layout.counts == {PLATFORM_ROOT: 9, "_ns-chat": 12, "_ns-search": 5}
    assert layout.tenants == ["_ns-chat", "_ns-search"] and layout.shards == []


def test_a_namespace_larger_than_a_root() -> None:
    sizes = {f"chat/m{i}": 30 for i in range(4)}
    assert sharding.place_by_namespace("prod", sizes, 3, Previous(), BUDGET).too_large == [
        "chat"]


def test_switching_to_namespace_tenancy_moves_in_two_commits() -> None:
    before = Previous(True, {"chat/a": PLATFORM_ROOT, "chat/b": "_shard-001"}, {},
                      ("_shard-001",))
    sizes = {"chat/a": 7, "chat/b": 7}
    refused = sharding.place_by_namespace("prod", sizes, 3, before, BUDGET)
    assert [(m.model, m.target) for m in refused.plan] == [("chat/a", "_ns-chat"),
                                                           ("chat/b", "_ns-chat")]
    started = sharding.place_by_namespace("prod", sizes, 3, before, BUDGET,
                                          sharding.START_MOVES)
    assert started.models == before.models and not started.plan
    assert started.shards == ["_shard-001"]  # kept while its model is still there
    pending = Previous(True, started.models, started.moving, tuple(started.shards))
    done = sharding.place_by_namespace("prod", sizes, 3, pending, BUDGET,
                                       sharding.COMPLETE_MOVES)
    assert set(done.models.values()) == {"_ns-chat"} and done.shards == []


def test_the_namespace_reconcilers_role_covers_every_kind_models_render() -> None:
    kinds = catalog.load().gke.config_sync.tenant_kinds
    cases = Path(__file__).parents[1] / "cases"
    rendered = {yaml.safe_load(p.read_text())["kind"]
                for tree in cases.glob("*/expected") for env in tree.iterdir()
                if env.name not in ("bootstrap", "dashboards")
                for p in env.rglob("*.yaml")
                if sharding.split_path(p.relative_to(tree).as_posix())[1].count("/") == 2
                and not p.parent.name.startswith("_")}
    assert rendered <= set(kinds), rendered - set(kinds)
    assert "Deployment" in rendered and "InferencePool" in rendered


def test_a_namespace_root_holds_only_its_namespace() -> None:
    prod = Path(__file__).parents[1] / "cases" / "tenancy" / "expected" / "prod"
    roots = sorted(prod.glob("_ns-*"))
    assert [r.name for r in roots] == ["_ns-chat", "_ns-search"]
    for root in roots:
        objects = _built(root)
        assert objects
        assert {o["metadata"]["namespace"] for o in objects} == {  # type: ignore[index]
            root.name.removeprefix("_ns-")}


def test_a_namespace_too_long_for_its_repo_sync(fleet: Path) -> None:
    long_name = "n" * 37
    _write(fleet, {"platform.yaml": PLATFORM.replace(
        "{name: prod, clusters: [prod-1, prod-2]}",
        "{name: prod, clusters: [prod-1, prod-2], tenancy: namespace}"),
        "m.yaml": model("m", long_name)})
    result = _render(fleet)
    assert result.exit_code == 1
    assert (f"error[check] metadata.namespace: namespace '{long_name}' is longer than the 36 "
            "characters a RepoSync's namespace may have (environment 'prod' has tenancy: "
            "namespace)") in result.output


def test_leaving_namespace_tenancy_is_refused(fleet: Path) -> None:
    tenancy = PLATFORM.replace("{name: prod, clusters: [prod-1, prod-2]}",
                               "{name: prod, clusters: [prod-1, prod-2], tenancy: namespace}")
    _write(fleet, {"platform.yaml": tenancy, "m.yaml": model("m")})
    assert _render(fleet).exit_code == 0
    assert (fleet / "rendered" / "prod" / "_ns-chat" / "chat" / "m" / "deployment.yaml").exists()
    _write(fleet, {"platform.yaml": PLATFORM})
    result = _render(fleet)
    assert result.exit_code == 1
    assert ("environment 'prod' left tenancy: namespace, but 1 of its models are in their "
            "namespace's root (first: chat/m); infergen cannot move them back") in result.output


def test_the_namespace_reconciler_holds_every_permission_the_roles_it_creates_grant() -> None:
    """RBAC refuses a Role granting more than its creator holds: no escalate, no bind."""
    prod = Path(__file__).parents[1] / "cases" / "tenancy" / "expected" / "prod"
    role = yaml.safe_load((prod / "cluster" /
                           "clusterrole-infergen-namespace-reconciler.yaml").read_text())
    held = {(group, resource, verb) for rule in role["rules"] for group in rule["apiGroups"]
            for resource in rule["resources"] for verb in rule["verbs"]}
    assert not any(verb in ("bind", "escalate", "*") for _, _, verb in held)
    created = [yaml.safe_load(p.read_text()) for p in prod.glob("_ns-*/*/*/role*.yaml")]
    granted = {(group, resource, verb) for obj in created if obj["kind"] == "Role"
               for rule in obj["rules"] for group in rule["apiGroups"]
               for resource in rule["resources"] for verb in rule["verbs"]}
    assert granted and granted <= held, granted - held


def test_the_render_that_writes_a_record_leaves_its_parse_for_the_next(
        fleet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next render reads the placement records back: their parse is in the cache
    already (at 10,000 specs, 0.1 s of YAML each). Only a record written now is parsed."""
    monkeypatch.setenv("INFERGEN_CACHE", "on")
    _write(fleet, _fleet(12))
    assert _render(fleet).exit_code == 0
    written = {(fleet / "rendered" / env / "placement.yaml").read_text() for env in ("dev", "prod")}
    parses: list[str] = []

    @functools.wraps(pipeline.load_plain)  # its name: part of the cache's key
    def spy(text: str) -> Any:
        parses.append(text)
        return load_plain(text)

    monkeypatch.setattr(pipeline, "load_plain", spy)
    _write(fleet, {"m07.yaml": model("m07", "ns1", "  scaling: {maxReplicas: 9}\n")})
    result = _render(fleet)
    assert result.exit_code == 0, result.output
    assert len(written) == 2 and not written & set(parses)  # read back without a parse
    now = {(fleet / "rendered" / env / "placement.yaml").read_text() for env in ("dev", "prod")}
    assert set(parses) <= now  # what this render wrote, parsed for the next one
