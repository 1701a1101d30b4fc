"""The catalog is checked against its own JSON Schema (generator/catalog/schema.json), and
the typed Kubernetes facts read from it are the ones the builders write."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml

from generator import catalog
from generator.catalog import engine_entry, gke
from generator.catalog.typed import key_of
from tools.catalog_schema import DERIVED, derived_defs

FILES = ("accelerators", "engines", "gke", "kubernetes", "observability", "prices")


def _schema() -> dict[str, Any]:
    text = resources.files("generator.catalog").joinpath("schema.json").read_text("utf-8")
    found: dict[str, Any] = json.loads(text)
    return found


def _data(name: str) -> Any:
    text = resources.files("generator.catalog").joinpath(f"{name}.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _errors(name: str, data: Any) -> list[str]:
    schema = _schema()
    validator = jsonschema.Draft202012Validator({"$ref": f"#/$defs/{name}",
                                                 "$defs": schema["$defs"]})
    return [error.message for error in validator.iter_errors(data)]


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(_schema())


@pytest.mark.parametrize("name", FILES)
def test_each_catalog_file_matches_the_schema(name: str) -> None:
    assert _errors(name, _data(name)) == []


@pytest.mark.parametrize(("name", "damage"), [
    ("kubernetes", lambda d: d["apiVersions"].update(Deployment="apps/v1 ")),
    ("kubernetes", lambda d: d.update(apiVersion={})),
    ("kubernetes", lambda d: d["clusterScoped"].append({"group": "", "kind": "x"})),
    ("gke", lambda d: d.update(configsync=d["configSync"])),
    ("engines", lambda d: d["engines"]["vllm"].update(prot=8000)),
    ("engines", lambda d: d["engines"]["vllm"].pop("port")),
    ("accelerators", lambda d: d["gpus"]["nvidia-l4"].update(memoryGb=24)),
    ("prices", lambda d: d["machines"]["g2-standard-4"]["us-central1"].update(onDemnd=1.0)),
    ("prices", lambda d: d["machines"]["g2-standard-4"]["us-central1"].pop("spot")),
    ("prices", lambda d: d["sources"]["cyclenerd"].pop("date")),
    ("prices", lambda d: d["machineSources"].update({"n1-standard-4": []})),
])
def test_a_misspelt_or_missing_fact_is_refused(name: str, damage: Any) -> None:
    data = _data(name)
    damage(data)
    assert _errors(name, data)


def test_every_api_version_infergen_writes_comes_from_the_catalog() -> None:
    facts = catalog.load().kubernetes
    assert facts.api("Deployment") == "apps/v1"
    assert ("", "Namespace") in facts.cluster_scoped
    # the Inference Gateway's and Config Sync's kinds too (they were in gke.yaml and code)
    assert [facts.api(kind) for kind in ("InferencePool", "HealthCheckPolicy", "RootSync",
                                         "RepoSync", "Kustomization")] == [
        "inference.networking.k8s.io/v1", "networking.gke.io/v1", "configsync.gke.io/v1beta1",
        "configsync.gke.io/v1beta1", "kustomize.config.k8s.io/v1beta1"]
    assert "config-management-system" in facts.reserved_namespaces
    with pytest.raises(KeyError):
        facts.api("NoSuchKind")


# ------------------------------------------------------------------ gke.yaml, typed

@pytest.mark.parametrize(("root", "name", "prefix"), DERIVED, ids=[d[1] for d in DERIVED])
def test_the_typed_sections_schema_is_their_dataclasses(root: type[Any], name: str,
                                                         prefix: str) -> None:
    expected = derived_defs(root, name, prefix)  # `python -m tools.catalog_schema` writes it
    defs = _schema()["$defs"]
    assert {n: defs.get(n) for n in expected} == expected


def test_the_engines_file_refers_to_its_typed_sections() -> None:
    engines = _schema()["$defs"]["engines"]["properties"]
    assert [engines[n] for n in ("probes", "autoscaling", "alerting")] == [
        {"$ref": f"#/$defs/{n}"} for n in ("probes", "autoscaling", "alerting")]


@pytest.mark.parametrize("damage", [
    lambda d: d["configSync"]["repoSync"].update(reconcilerPrefx="x"),
    lambda d: d["configSync"].pop("maxObjectsPerRoot"),
    lambda d: d["inferenceGateway"]["endpointPicker"].update(healthPort="9003"),
    lambda d: d["nodeReserved"]["cpuCores"].append({"upTo": 1}),
])
def test_a_misspelt_or_missing_gke_fact_is_refused_by_schema_and_loader(damage: Any) -> None:
    data = _data("gke")
    damage(data)
    assert _errors("gke", data)


def test_the_loader_refuses_an_unknown_or_missing_key() -> None:
    data = _data("gke")
    data["podSecurity"]["uuid"] = 1
    with pytest.raises(KeyError, match=r"PodSecurity: unknown keys \['uuid'\]"):
        gke.gke(data)
    del data["podSecurity"]["uuid"], data["podSecurity"]["uid"]
    with pytest.raises(KeyError, match="'uid'"):
        gke.gke(data)


def test_gke_facts_are_typed_and_frozen() -> None:
    facts = catalog.load().gke
    assert facts.config_sync.repo_sync.max_name_and_namespace == 45
    assert facts.node_reserved.memory_gib[-1] == gke.Tier(None, 0.02)
    assert facts.provisioning["spot"].node_selector == {"cloud.google.com/gke-spot": "true"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.pod_security.uid = 0  # type: ignore[misc]


# ------------------------------------------------------------------ engines.yaml, typed

def test_the_engine_schema_names_the_typed_entrys_keys() -> None:
    engine = _schema()["$defs"]["engine"]
    fields = dataclasses.fields(engine_entry.Engine)
    assert set(engine["properties"]) == {key_of(f) for f in fields}
    assert set(engine["required"]) == {key_of(f) for f in fields
                                       if f.default is dataclasses.MISSING
                                       and f.default_factory is dataclasses.MISSING}


def test_engine_entries_are_typed_with_their_variants_applied() -> None:
    facts = catalog.load()
    tpu = facts.engine("vllm", "tpu-v6e")
    assert tpu.image is not None and tpu.image.startswith("vllm/vllm-tpu:")
    assert tpu.env == {"VLLM_XLA_CACHE_PATH": "/data/xla-cache"}
    assert facts.engine("vllm", "nvidia-l4").env is None  # the gpu kind has no variant
    assert facts.engine("tei", "none").default_dtype == "float32"
    assert facts.engines["jetstream"].metrics is None
    assert facts.engines["vllm"].load_signals["queue-size"] == engine_entry.LoadSignal(
        "vllm:num_requests_waiting", "gauge", 5)
    data = _data("engines")["engines"]["tgi"]
    data["prot"] = 8000
    with pytest.raises(KeyError, match=r"Engine: unknown keys \['prot'\]"):
        engine_entry.engine(data)
