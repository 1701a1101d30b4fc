"""Every name infergen derives from a model's (plan/names.py) is checked at the spec: too long
for its Kubernetes limit, not a Service name, colliding with another model's derived name,
or a namespace too long for its RepoSync (tenancy: namespace). Exit 1 at the user's line,
never exit 3 on the generated files."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from generator import catalog
from generator.objects import configsync, dashboards, gcp
from generator.plan import names
from tests.conftest import ROOT
from tests.errorcases import MODEL, PLATFORM, render

LORA = MODEL + """\
  server:
    engine: vllm
"""


def _named(name: str, text: str = MODEL) -> str:
    return text.replace("  name: m\n", f"  name: {name}\n")


def test_a_name_starting_with_a_digit_is_refused_as_a_service_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": _named("7b-chat")})
    assert run.exit_code == 1, run.stderr
    assert run.errors == [
        "specs/m.yaml:4:9: error[check] metadata.name: name '7b-chat' starts with a digit, and "
        "the model's Service is named '7b-chat': a Service's name must start with a letter (a "
        "DNS-1035 label) (hint: rename it, for example m-7b-chat)"], run.stderr
    assert run.out_after == run.out_before


@pytest.mark.parametrize("suffix", [d.suffix for d in names.derived(catalog.load()) if d.suffix])
def test_a_name_ending_in_a_derived_suffix_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": _named(f"x{suffix}")})
    assert run.exit_code == 1, run.stderr
    assert len(run.errors) == 1, run.stderr
    assert f"error[check] metadata.name: a model's name may not end in {suffix!r}: infergen " \
        f"names" in run.errors[0] and "of the model 'x' so" in run.errors[0]


TENANT_PLATFORM = PLATFORM.replace("clusters: [dev-1]\n",
                                   "clusters: [dev-1]\n      tenancy: namespace\n")


def test_a_namespace_too_long_for_its_reposync_is_refused_at_the_spec(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    facts = catalog.load().gke.config_sync.repo_sync
    longest = facts.max_name_and_namespace - len(facts.name)
    text = MODEL.replace("  name: m\n", f"  name: m\n  namespace: {'n' * (longest + 1)}\n")
    run = render(tmp_path, monkeypatch, {"m.yaml": text}, TENANT_PLATFORM)
    assert run.exit_code == 1, run.stderr
    assert run.errors == [
        f"specs/m.yaml:5:14: error[check] metadata.namespace: namespace {'n' * (longest + 1)!r} "
        f"is longer than the {longest} characters a RepoSync's namespace may have (environment "
        "'dev' has tenancy: namespace) (hint: choose a shorter namespace, or tenancy: root)"], \
        run.stderr
    fits = MODEL.replace("  name: m\n", f"  name: m\n  namespace: {'n' * longest}\n")
    assert render(tmp_path, monkeypatch, {"m.yaml": fits}, TENANT_PLATFORM).exit_code == 0
    assert render(tmp_path, monkeypatch, {"m.yaml": text}).exit_code == 0  # tenancy: root


def test_every_name_a_model_renders_is_in_the_table() -> None:
    """The committed tree: each object in a model's namespace is named after a model, with
    one of the table's suffixes (the table is complete). Config Sync's own objects, and the
    Config Connector objects of an environment's monitoring, are named after environments,
    shards and engines, whose names the Platform's schema and the catalog bound."""
    cat = catalog.load()
    suffixes = [d.suffix for d in names.derived(cat)]
    models, found = set(), []
    for path in sorted((ROOT / "rendered").rglob("*.yaml")):
        for obj in yaml.safe_load_all(path.read_text()):
            if not isinstance(obj, dict) or obj.get("metadata", {}).get("namespace") in (
                    None, cat.gke.config_sync.marker_namespace,
                    cat.observability.config_connector.namespace):
                continue
            if obj["kind"] in ("Deployment", "LeaderWorkerSet") and "-epp" not in path.name:
                models.add(obj["metadata"]["name"])
            found.append((obj["kind"], obj["metadata"]["name"]))
    assert models
    for kind, name in found:
        assert any(name.endswith(s) and name.removesuffix(s) in models for s in suffixes), \
            (kind, name)


MULTI_HOST = """\
apiVersion: infergen.dev/v1alpha1
kind: ModelDeployment
metadata:
  name: {name}
spec:
  model: {{source: hf://org/m, parameters: 8B}}
  server: {{engine: vllm}}
  accelerator: {{type: nvidia-h100-80gb, count: 16}}
  scaling: {{minReplicas: 1, maxReplicas: {most}}}
"""


def _multi_host(name: str, most: int = 1) -> str:
    return MULTI_HOST.format(name=name, most=most)


@pytest.mark.parametrize(("most", "longest"), [(1, 50), (10, 50), (11, 49)])
def test_a_multi_host_name_too_long_for_its_workers_revision_label_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, most: int, longest: int) -> None:
    """kubernetes-sigs/lws#410: group g's workers are the StatefulSet <name>-<g>, whose pods
    carry controller-revision-hash: <name>-<g>-<10 characters>, at most 63."""
    long = "a" * (longest + 1)
    run = render(tmp_path, monkeypatch, {"m.yaml": _multi_host(long, most)})
    assert run.exit_code == 1, run.stderr
    label = f"-{most - 1}-hhhhhhhhhh"
    assert run.errors == [
        f"specs/m.yaml:4:9: error[check] metadata.name: name is {longest + 1} characters: with "
        f"{most} LeaderWorkerSet groups, the label controller-revision-hash of a worker pod, "
        f"aaaaaaaaaaaa...{label}, would be longer than 63 (hint: use at most {longest} "
        "characters)"], run.stderr
    assert run.out_after == run.out_before
    fits = render(tmp_path, monkeypatch, {"m.yaml": _multi_host("a" * longest, most)})
    assert not [e for e in fits.errors if "metadata.name" in e], fits.stderr


def test_a_multi_host_name_ending_in_a_group_number_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": _multi_host("x-0")})
    assert run.exit_code == 1, run.stderr
    assert run.errors == [
        "specs/m.yaml:4:9: error[check] metadata.name: a multi-host model's name may not end in "
        "a number: LeaderWorkerSet names the workers of group 0 of the model 'x' so (hint: "
        "rename it, for example x-0-model)"], run.stderr
    single = render(tmp_path, monkeypatch, {"m.yaml": _named("x-0")})
    assert single.exit_code == 0, single.stderr


def test_names_derived_from_the_longest_environment_name_fit() -> None:
    """The Platform's names (the schema bounds an environment's name) never need a check at
    the spec: the RootSync (Config Sync: at most 38 characters, objects/configsync.py), the
    dashboards (a subdomain) and each engine's log metric and alert (Cloud Logging: a
    metric id is at most 100 characters, logging v2 LogMetric.name)."""
    schema = json.loads((ROOT / "schemas" / "modeldeployment.schema.json").read_text())
    longest = schema["$defs"]["environmentName"]["maxLength"]
    env = SimpleNamespace(name="e" * longest)
    assert len(configsync.rootsync_name(env)) <= 38  # type: ignore[arg-type]
    for which in dashboards.BOARDS:
        assert len(gcp.dashboard_name(env, which)) <= names.SUBDOMAIN_LENGTH  # type: ignore[arg-type]
    for engine in catalog.load().engines:
        assert len(gcp.metric_name(env, engine)) <= 100  # type: ignore[arg-type]
