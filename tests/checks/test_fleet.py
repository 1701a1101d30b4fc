"""Fleet rules (generator/checks/fleet.py): spec.clusters, roots that would become empty, and
Config Sync's object limit per root. Exact diagnostic lines, like test_errors_*.py.

PLATFORM (tests/errorcases.py) has `dev` (clusters [dev-1], line 9) and `prod` (clusters
[prod-1], line 11); MODEL is 9 lines long, so text appended to it starts on line 10.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import catalog
from generator.cli import main
from generator.output.text import header
from tests.errorcases import (
    MODEL,
    PLATFORM,
    assert_fails,
    assert_one_line_each,
    render,
    unsized,
)

SELECTOR = "configsync.gke.io/cluster-name-selector"
TWO_PROD = PLATFORM.replace("[prod-1]", "[prod-1, prod-2]")


def _ok(run_exit: int, stderr: str) -> None:
    assert "Traceback" not in stderr
    assert run_exit == 0, stderr


# ------------------------------------------------------------------ spec.clusters

def test_clusters_annotate_every_object_of_the_model(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {
        "platform.yaml": TWO_PROD, "m.yaml": MODEL + "  deployTo: [prod]\n  clusters: [prod-2]\n",
        "other.yaml": MODEL.replace("name: m", "name: other")})
    _ok(run.exit_code, run.stderr)
    model_files = [p for p in run.out_after if p.startswith("prod/inference/m/")]
    assert model_files
    for path in model_files:
        assert f"{SELECTOR}: prod-2\n".encode() in run.out_after[path], path
    others = [p for p in run.out_after if "/m/" not in p]
    assert all(SELECTOR.encode() not in run.out_after[p] for p in others)


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(
        MODEL + "  deployTo: [prod]\n  clusters: [prd-2]\n",
        ["specs/m.yaml:11:14: error[check] spec.clusters[0]: cluster 'prd-2' is not a cluster "
         "of environment 'prod' (known: prod-1, prod-2) (hint: did you mean 'prod-2'?)"],
        id="unknown-cluster-did-you-mean"),
    pytest.param(
        MODEL + "  clusters: [prod-2]\n",
        ["specs/m.yaml:10:14: error[check] spec.clusters[0]: cluster 'prod-2' is not a cluster "
         "of environment 'dev' (known: dev-1) (hint: it is a cluster of environment 'prod': "
         "set deployTo to the environments whose clusters you name)"],
        id="cluster-of-another-environment"),
])
def test_clusters_must_belong_to_every_environment(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, text: str,
                                                   expected: list[str]) -> None:
    run = render(tmp_path, monkeypatch, {"platform.yaml": TWO_PROD, "m.yaml": text})
    assert_fails(run, expected)


def _rendered_before(tmp_path: Path, env: str = "prod") -> None:
    """A previous render of `env` holding one model (its root's kustomization says so)."""
    root = tmp_path / "rendered" / env
    root.mkdir(parents=True)
    (root / "kustomization.yaml").write_text(
        header(("platform.yaml",)) + "resources:\n- inference/m/deployment.yaml\n",
        encoding="utf-8")


def test_cluster_left_without_models_is_an_error(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _rendered_before(tmp_path)
    run = render(tmp_path, monkeypatch, {
        "platform.yaml": TWO_PROD, "m.yaml": MODEL + "  clusters: [prod-2]\n  deployTo: [prod]\n",
        "d.yaml": MODEL.replace("name: m", "name: d") + "  deployTo: [dev]\n"})
    assert_fails(run, [
        "specs/platform.yaml:11:7: error[check] spec.environments[1]: cluster 'prod-1' of "
        "environment 'prod' has no models: every model there selects other clusters "
        "(spec.clusters) (hint: Config Sync would delete everything it synced from "
        "rendered/prod; add a model, or render with --allow-empty prod if that is what you "
        "want)"])


# ------------------------------------------------------------------ empty roots

EMPTY_PROD = ("specs/platform.yaml:11:7: {}[check] spec.environments[1]: environment 'prod' "
              "has no models (hint: {})")
REFUSED = ("Config Sync would delete everything it synced from rendered/prod; add a model, "
           "or render with --allow-empty prod if that is what you want")
WARNED = "Config Sync removes everything it synced from an empty root"


def test_render_refuses_an_empty_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _rendered_before(tmp_path)
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL + "  deployTo: [dev]\n"})
    assert_fails(run, [EMPTY_PROD.format("error", REFUSED)])


NEW_ENV_HINT = ("nothing is synced to its clusters until a model deploys there; set "
                "allowEmpty: true on environment 'prod' if that is intended")


def test_a_new_environment_without_models_is_a_warning(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL + "  deployTo: [dev]\n"})
    _ok(run.exit_code, run.stderr)
    assert run.warnings == [unsized(), EMPTY_PROD.format("warning", NEW_ENV_HINT)]
    assert "prod/kustomization.yaml" in run.out_after


ALLOW_EMPTY_PROD = TWO_PROD.replace("[prod-1, prod-2]", "[prod-1, prod-2]\n      allowEmpty: true")


def test_allow_empty_in_the_platform_needs_no_flag(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"platform.yaml": ALLOW_EMPTY_PROD, "m.yaml": MODEL + "  deployTo: [dev]\n"}
    run = render(tmp_path, monkeypatch, files)
    _ok(run.exit_code, run.stderr)
    assert run.warnings == [unsized()]
    check = CliRunner().invoke(main, ["render", "--check"])
    _ok(check.exit_code, check.stderr)  # rendered once: still empty, still fine
    assert check.stderr.splitlines() == [unsized()]


def test_allow_empty_still_refuses_a_root_that_held_models(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _rendered_before(tmp_path)
    run = render(tmp_path, monkeypatch, {"platform.yaml": ALLOW_EMPTY_PROD,
                                         "m.yaml": MODEL + "  deployTo: [dev]\n"})
    assert_fails(run, [EMPTY_PROD.format("error", REFUSED)])
    flagged = render(tmp_path, monkeypatch, {}, platform=None, args=("--allow-empty", "prod"))
    _ok(flagged.exit_code, flagged.stderr)


def test_render_allow_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL + "  deployTo: [dev]\n"},
                 args=("--allow-empty", "prod"))
    _ok(run.exit_code, run.stderr)
    assert run.warnings == [unsized(), EMPTY_PROD.format("warning", WARNED)]
    assert "prod/kustomization.yaml" in run.out_after
    assert_one_line_each(run)


def test_allow_empty_names_an_environment(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL}, args=("--allow-empty", "prd"))
    assert_fails(run, ["specs/platform.yaml:8:3: error[check] spec.environments: --allow-empty "
                       "prd: no such environment (known: dev, prod) (hint: did you mean "
                       "'prod'?)"])


def test_validate_only_warns_about_an_empty_root(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "platform.yaml").write_text(PLATFORM, encoding="utf-8")
    (specs / "m.yaml").write_text(MODEL + "  deployTo: [dev]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate"])
    _ok(result.exit_code, result.stderr)
    assert result.stderr.splitlines() == [unsized(), EMPTY_PROD.format("warning", WARNED)]


# ------------------------------------------------------------------ object count per root

def test_a_model_larger_than_a_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    facts = catalog.load()
    sync = replace(facts.gke.config_sync, max_objects_per_root=5)
    smaller = replace(facts, gke=replace(facts.gke, config_sync=sync))
    monkeypatch.setattr(catalog, "load", lambda: smaller)  # the CLI asks catalog.load()
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL + "  deployTo: [dev]\n"})
    assert_fails(run, [
        "specs/m.yaml:4:9: error[check] metadata.name: model inference/m renders 5 objects in "
        "environment 'dev': a single model is larger than a Config Sync root (5 objects) "
        "(hint: infergen never splits a model across roots: raise "
        "Platform.spec.configSync.maxObjectsPerRoot (Config Sync's inventory holds about 5,000 "
        "objects before it risks etcd's size limit))"])


def test_object_count_limit_is_config_syncs() -> None:
    assert catalog.load().gke.config_sync.max_objects_per_root == 1000


def test_validate_says_nothing_of_an_environment_allowed_empty(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "platform.yaml").write_text(ALLOW_EMPTY_PROD, encoding="utf-8")
    (specs / "m.yaml").write_text(MODEL + "  deployTo: [dev]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate"])
    _ok(result.exit_code, result.stderr)
    assert result.stderr.splitlines() == [unsized()]
