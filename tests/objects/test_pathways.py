"""The jetstream-maxtext engine's LeaderWorkerSet (objects/pathways.py) as GKE's multi-host
JetStream tutorial lays it out, its MaxText keys against the contract generated from MaxText's
own config (tools/maxtext_config.py), and its rendered roots under Config Sync's own
validator."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.catalog import Machine, load
from generator.catalog.maxtext import maxtext
from generator.plan import sizing
from generator.verify import maxtext_keys
from tests.conftest import CASES
from tools.maxtext_config import SOURCE, extract, model_names, quantizations

GOLDENS = {"4x4": CASES / "jetstream-maxtext-4x4" / "expected",
           "8x8": CASES / "jetstream-maxtext-8x8" / "expected"}


def _group(topology: str) -> dict[str, Any]:
    path = next(GOLDENS[topology].rglob("leaderworkerset.yaml"))
    found: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return found


def _containers(group: dict[str, Any], role: str) -> dict[str, dict[str, Any]]:
    pod = group["spec"]["leaderWorkerTemplate"][f"{role}Template"]["spec"]
    return {c["name"]: c for c in pod["containers"]}


@pytest.mark.parametrize(("topology", "hosts"), [("4x4", 4), ("8x8", 16)])
def test_a_group_is_the_slice_hosts_and_a_leader(topology: str, hosts: int) -> None:
    group = _group(topology)
    template = group["spec"]["leaderWorkerTemplate"]
    assert template["size"] == hosts + 1
    assert group["metadata"]["annotations"] == {
        "leaderworkerset.sigs.k8s.io/exclusive-topology": "cloud.google.com/gke-nodepool"}
    leader, worker = _containers(group, "leader"), _containers(group, "worker")
    assert list(leader) == ["pathways-proxy", "pathways-rm", "inference-server",
                            "jetstream-http"]
    # the leader selects the slice's nodes but takes none of its chips
    assert all("google.com/tpu" not in c["resources"]["requests"] for c in leader.values())
    assert template["leaderTemplate"]["spec"]["nodeSelector"][
        "cloud.google.com/gke-tpu-topology"] == topology
    assert worker["pathways-worker"]["resources"]["limits"]["google.com/tpu"] == 4
    assert f"--instance_type=tpuv6e:{topology}" in leader["pathways-rm"]["args"]
    assert "--resource_manager_address=$(LWS_LEADER_ADDRESS):38677" in \
        worker["pathways-worker"]["args"]
    http = leader["jetstream-http"]
    assert http["startupProbe"]["httpGet"] == {"path": "/healthcheck", "port": "http"}
    assert http["ports"][0]["containerPort"] == 8000


def test_leader_and_worker_fit_one_node_of_the_slice() -> None:
    catalog = load()
    machine = catalog.tpus["tpu-v6e"].machines[4]
    cpu, mib = sizing.allocatable(Machine(machine.type, 4, machine.vcpus,
                                                 machine.memory_gb), catalog)
    group = _group("4x4")
    pods = [_containers(group, "leader").values(), _containers(group, "worker").values()]
    asked_cpu = sum(sizing.millicores(c["resources"]["requests"]["cpu"]) or 0
                    for pod in pods for c in pod)
    asked_mib = sum(sizing.mebibytes(c["resources"]["requests"]["memory"]) or 0
                    for pod in pods for c in pod)
    assert asked_cpu <= cpu and asked_mib <= mib
    assert asked_cpu > cpu - 1000  # and the worker takes the rest


@pytest.mark.parametrize("topology", sorted(GOLDENS))
def test_every_rendered_maxtext_key_is_the_pinned_releases(topology: str) -> None:
    terms = maxtext()
    server = _containers(_group(topology), "leader")["inference-server"]
    config, *settings = server["args"]
    assert config in terms.configs
    keys = [arg.split("=", 1)[0] for arg in settings]
    assert [k for k in keys if k not in terms.keys] == []
    assert len(set(keys)) == len(keys)
    model = next(a.split("=", 1)[1] for a in settings if a.startswith("model_name="))
    assert set(keys).isdisjoint(terms.models[model])  # MaxText refuses a key set twice


def test_every_key_the_engine_owns_is_maxtexts() -> None:
    terms = maxtext()
    owned = load().engines["jetstream-maxtext"].owns
    assert [k for k in owned if "*" not in k and k not in terms.keys] == []
    assert {terms.axis_key(a) for a in terms.spec_axes()} <= terms.keys


def test_the_tool_reads_model_names_and_quantizations() -> None:
    pyconfig = ('def validate_model_name(s):\n'
                '  valid_model_names = ("default", "llama2-7b", "gemma-2b")\n'
                '  if s not in valid_model_names: raise ValueError(s)\n')
    assert model_names(pyconfig) == ["default", "llama2-7b", "gemma-2b"]
    quant = ('def _get_quant_config(config):\n'
             '  if not config.quantization or config.quantization == "":\n    return None\n'
             '  if config.quantization == "int8":\n    return 1\n'
             '  if config.quantization == "fp8":\n    return "fp8"\n')
    assert quantizations(quant) == ["fp8", "int8"]


NOMOS = shutil.which("nomos")


@pytest.mark.skipif(NOMOS is None, reason="Config Sync's nomos is not installed")
@pytest.mark.parametrize("topology", sorted(GOLDENS))
def test_nomos_vet_accepts_the_rendered_roots(kubectl: str, topology: str,
                                              tmp_path: Path) -> None:
    assert NOMOS is not None
    root = tmp_path / "prod"
    root.mkdir()
    built = subprocess.run([kubectl, "kustomize", str(GOLDENS[topology] / "prod")],
                           capture_output=True, text=True, check=True)
    (root / "all.yaml").write_text(built.stdout, encoding="utf-8")
    boot = tmp_path / "boot"
    boot.mkdir()
    shutil.copy(GOLDENS[topology] / "bootstrap" / "prod-1.yaml", boot)
    for path in ("prod", "boot"):
        vet = subprocess.run([NOMOS, "vet", "--no-api-server-check", "--source-format",
                              "unstructured", "--path", path], cwd=tmp_path,
                             capture_output=True, text=True)
        assert vet.returncode == 0, vet.stdout + vet.stderr


@pytest.mark.parametrize(("args", "problem"), [
    (["model_name=llama3.1-405b"], "starts MaxText without a config file of tpu-recipes-v0.1.2 "
     "first"),
    (["MaxText/configs/base.yml", "model_name=llama3.1-405b", "--port=9000"],
     "passes '--port=9000', which is not a MaxText key=value setting"),
    (["MaxText/configs/base.yml", "model_name=llama3.1-405b", "ici_tensor=8"],
     "sets ici_tensor, which MaxText tpu-recipes-v0.1.2 does not define"),
    (["MaxText/configs/base.yml", "model_name=llama3.1-405b", "scan_layers=false",
      "scan_layers=true"], "sets scan_layers twice"),
    (["MaxText/configs/base.yml", "model_name=llama3.1-405b", "base_num_decoder_layers=2"],
     "sets base_num_decoder_layers, which MaxText's config of llama3.1-405b sets too"),
])
def test_verify_reports_a_broken_maxtext_server(args: list[str], problem: str) -> None:
    group = _group("4x4")
    server = _containers(group, "leader")["inference-server"]
    assert maxtext_keys.problems(group) == []
    server["args"] = args
    assert problem in maxtext_keys.problems(group)


def test_the_tool_reads_a_release_from_git(tmp_path: Path) -> None:
    files = {
        "MaxText/configs/base.yml": "model_name: default\nici_fsdp_parallelism: -1\n"
                                   "ici_tensor_parallelism: 1\nquantization: ''\n",
        "MaxText/configs/models/tiny-1b.yml": "base_emb_dim: 64\nbase_num_decoder_layers: 2\n",
        "MaxText/configs/v5e/inference/tiny.yml": "base_config: base.yml\n",
        "MaxText/pyconfig.py": 'def validate_model_name(s):\n'
                               '  valid_model_names = ("default", "tiny-1b")\n',
        "MaxText/layers/quantizations.py": 'def _get_quant_config(config):\n'
                                           '  if config.quantization == "int8":\n    return 1\n',
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    git = ["git", "-C", str(tmp_path), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "release"], check=True)
    subprocess.run([*git, "tag", SOURCE["tag"]], check=True)
    facts = extract(tmp_path / ".git")
    assert facts["keys"] == ["ici_fsdp_parallelism", "ici_tensor_parallelism", "model_name",
                             "quantization"]
    assert facts["iciAxes"] == ["fsdp", "tensor"]
    assert facts["quantizations"] == ["int8"]
    assert facts["models"] == {"tiny-1b": ["base_emb_dim", "base_num_decoder_layers"]}
    assert "MaxText/configs/v5e/inference/tiny.yml" in str(facts["configs"])
