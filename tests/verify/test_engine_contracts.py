"""Every engine container infergen renders keeps its engine's contract: the golden trees and
rendered/ use only flags the pinned releases define, and the verify rule that enforces it on
every render reports a broken container as a bug in infergen (exit 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from generator.catalog import load
from generator.catalog.engine_contracts import ENGINE_CONTAINER, contract, split_args
from generator.cli import main
from generator.objects import engines
from generator.verify.engine_contract import pod_specs, problems, served_args
from tests.conftest import CASES, ROOT, golden_cases

TREES = [CASES / case / "expected" for case in golden_cases()] + [ROOT / "rendered"]


def _engine_of(pod: dict[str, Any], labels: dict[str, str]) -> str | None:
    """The contract behind a pod: its pinned image's (a variant may pin its own release, as
    vLLM's TPU image does) or, for a user's own image, its GKE server label's engine."""
    catalog = load()
    images = {}
    for name, facts in catalog.engines.items():
        for variant in [facts, *facts.variants.values()]:
            if variant.image is not None:
                images[variant.image] = variant.contract or name
    server = next(c for c in pod["containers"] if c["name"] == engines.CONTAINER_NAME)
    if server["image"] in images:
        return images[server["image"]]
    by_label = {e.gke_server_label: n for n, e in catalog.engines.items()}
    return by_label.get(labels.get(catalog.gke.labels.inference_server, ""))


def _engine_pods() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for tree in TREES:
        for path in sorted(tree.rglob("*.yaml")):
            for obj in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                if not isinstance(obj, dict) or obj.get("kind") not in (
                        "Deployment", "LeaderWorkerSet"):
                    continue
                for pod in pod_specs(obj):
                    if not any(c["name"] == engines.CONTAINER_NAME for c in pod["containers"]):
                        continue
                    labels = (obj["spec"].get("template", {}).get("metadata", {})
                              .get("labels", {}))
                    engine = _engine_of(pod, labels)
                    if engine is not None:
                        found.append((str(path.relative_to(ROOT)), engine, obj))
    return found


PODS = _engine_pods()


def test_every_catalog_engine_is_covered_by_a_golden_tree() -> None:
    covered = {engine for _, engine, _ in PODS}
    assert covered >= {"vllm", "tgi", "tei", "triton", "jetstream", "sglang"}, covered


@pytest.mark.parametrize(("path", "engine", "obj"), PODS, ids=[p for p, _, _ in PODS])
def test_every_rendered_flag_is_the_pinned_engines_own(path: str, engine: str,
                                                        obj: dict[str, Any]) -> None:
    terms = contract(engine)
    for pod in pod_specs(obj):
        for container in pod["containers"]:
            if container["name"] != engines.CONTAINER_NAME or terms is None:
                continue
            flags = [flag for _, flag, _ in split_args(served_args(container))]
            # spelled exactly as the release defines it: no prefix or underscore leniency
            assert [f for f in flags if f not in terms.flags] == [], path
    assert problems(engine, obj) == [], path


def _deployment(args: list[str], env: list[str], mounts: list[str],
                links: bool = False) -> dict[str, Any]:
    container = {"name": engines.CONTAINER_NAME, "args": args,
                 "env": [{"name": n, "value": "x"} for n in env],
                 "volumeMounts": [{"name": "v", "mountPath": m} for m in mounts]}
    pod = {"containers": [container], **({} if links else {"enableServiceLinks": False})}
    return {"kind": "Deployment", "spec": {"template": {"spec": pod}}}


@pytest.mark.parametrize(("engine", "obj", "expected"), [
    ("vllm", _deployment(["--port=8000", "--prot=1"], ["HOME"], ["/tmp"]),
     ["passes --prot, which vllm 0.34.0 does not define"]),
    ("vllm", _deployment(["--port=8000"], ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"], ["/tmp"]),
     ["sets HF_TOKEN twice (or under two names)",
      "sets HUGGING_FACE_HUB_TOKEN twice (or under two names)"]),
    ("vllm", _deployment(["--tensor-parallel-size=1", "-tp", "2"], [], ["/tmp"]),
     ["sets --tensor-parallel-size twice (or under two names)",
      "sets -tp twice (or under two names)"]),
    ("vllm", _deployment([], [], []),
     ["writes /tmp at start (RPC sockets (VLLM_RPC_BASE_PATH)) with no volume there"]),
    ("vllm", _deployment([], [], ["/tmp"], links=True),
     ["pod has Service env vars (enableServiceLinks is not false)"]),
    ("tgi", _deployment([], ["DTYPE", "QUANTIZE"], ["/tmp"]),
     ["sets DTYPE and QUANTIZE: the shard exits: Only 1 can be set between dtype and "
      "quantize"]),
    ("jetstream", _deployment(["--model_id=m"], [], ["/tmp"]),
     ["does not set --working_dir: Hugging Face weights are downloaded and converted here"]),
    ("jetstream", _deployment(["--working_dir=/models"], [], ["/tmp", "/data"]),
     ["writes /models at start (Hugging Face weights are downloaded and converted here) "
      "with no volume there"]),
    ("custom", _deployment([], ["PORT", "PORT"], []),
     ["sets PORT twice (or under two names)"]),
])
def test_contract_problems(engine: str, obj: dict[str, Any], expected: list[str]) -> None:
    assert problems(engine, obj) == expected


def test_every_pod_of_a_multi_host_group_is_checked_with_its_join_flags() -> None:
    """A LeaderWorkerSet's leader and workers each run `vllm serve` with the group's join
    flags (no Ray script): both are read, and a worker's flags are vLLM's own."""
    def pod(args: list[str]) -> dict[str, Any]:
        return {"enableServiceLinks": False, "containers": [{
            "name": ENGINE_CONTAINER, "command": ["vllm", "serve"], "args": args,
            "volumeMounts": [{"mountPath": "/tmp"}]}]}
    group = {"kind": "LeaderWorkerSet", "spec": {"leaderWorkerTemplate": {
        "leaderTemplate": {"spec": pod(["--model=m", "--nnodes=$(LWS_GROUP_SIZE)",
                                        "--node-rank=0", "--master-addr=$(LWS_LEADER_ADDRESS)"])},
        "workerTemplate": {"spec": pod(["--model=m", "--node-rank=$(LWS_WORKER_INDEX)",
                                        "--headless", "--ray-address=a"])}}}}
    assert served_args(group["spec"]["leaderWorkerTemplate"]["leaderTemplate"]["spec"]
                       ["containers"][0])[1] == "--nnodes=$(LWS_GROUP_SIZE)"
    version = contract("vllm").version  # type: ignore[union-attr]
    assert problems("vllm", group) == [
        f"passes --ray-address, which vllm {version} does not define"]


def test_a_container_breaking_its_contract_is_a_bug_and_nothing_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = engines.LAUNCHERS["vllm"]

    def broken(ctx: engines.Context) -> engines.Launch:
        launch = real(ctx)
        launch.args.append("--max-model-length=1")  # a flag vLLM does not define
        return launch

    monkeypatch.setitem(engines.LAUNCHERS, "vllm", broken)
    out = tmp_path / "rendered"
    result = CliRunner().invoke(main, ["render", "--specs", str(ROOT / "specs"),
                                       "--out", str(out)])
    assert result.exit_code == 3, result.output
    assert "passes --max-model-length, which vllm 0.34.0 does not define" in result.output
    assert "this is a bug in infergen" in result.output
    assert not out.exists()


@pytest.mark.parametrize("engine", ["vllm", "vllm-tpu", "sglang", "tgi", "tei", "triton",
                                    "jetstream"])
def test_every_contract_fact_names_its_source(engine: str) -> None:
    terms = contract(engine)
    assert terms is not None and terms.flags and terms.architectures
    for section in ("envAliases", "exclusive", "atLeast", "architectures", "writablePaths"):
        for fact in terms.raw.get(section, []):
            assert fact.get("source"), (engine, section, fact)
    generated = ROOT / "generator" / "catalog" / "contracts" / f"{engine}-flags.yaml"
    if generated.exists():  # from the pinned release: make engine-facts
        data = yaml.safe_load(generated.read_text(encoding="utf-8"))
        assert data["source"]["repo"] and data["source"]["tag"] and data["source"]["method"]
        assert data["options"] and all("dest" in o and "takes" in o
                                       for o in data["options"].values())
        if engine != "triton":  # Triton's container release 26.07 is its tag v2.71.0
            assert str(data["version"]).lstrip("v").endswith(terms.version.lstrip("v"))


@pytest.mark.parametrize("engine", ["vllm", "sglang", "tei"])
def test_the_pinned_image_is_the_release_the_flags_came_from(engine: str) -> None:
    terms = contract(engine)
    assert terms is not None
    facts = load().engines[engine]
    for image in [facts.image, *(v.image for v in facts.variants.values()
                                 if v.image is not None and engine != "vllm")]:
        assert image is not None
        assert image.endswith((f":v{terms.version}", f"-{terms.version}", f":{terms.version}"))


def test_a_variant_with_its_own_release_names_its_contract() -> None:
    # vLLM's TPU image is vllm-tpu 0.32.0, not the GPU image's 0.34.0: its own option table
    tpu = load().engines["vllm"].variants["tpu"]
    assert tpu.contract is not None and tpu.image is not None
    terms, gpu = contract(tpu.contract), contract("vllm")
    assert terms is not None and gpu is not None
    assert tpu.image.endswith(f":v{terms.version}") and terms.version != gpu.version
    assert any(engine == "vllm-tpu" for _, engine, _ in PODS)  # a golden TPU pod is checked
