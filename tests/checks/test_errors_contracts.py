"""Engine contracts: a setting infergen derives, given again in server.args or server.env
(under its own name or an alias), is one error at that spec line naming the owning field (the
same value only a warning); what the engine's own parser refuses (an unknown, removed or
ambiguous option, a value on a flag, a missing value, a bad choice) is an error at its line,
a warning only when server.image replaces the catalog's image; images that cannot run on the
accelerator's nodes are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator.catalog.engine_contracts import contract, split_args
from tests.checks.test_errors_accelerators import model
from tests.errorcases import assert_fails, render, unsized

OWNED = "sets what infergen derives"

CASES = [
    pytest.param(
        model("""
          server:
            engine: vllm
            args: ["--tensor-parallel-size", "2", "--port=9000"]
          accelerator: {type: nvidia-l4}
        """),
        [f"specs/m.yaml:10:12: error[check] spec.server.args[0]: --tensor-parallel-size in "
         f"server.args {OWNED} (hint: --tensor-parallel-size is set from "
         "spec.accelerator.parallelism; change that field instead)",
         f"specs/m.yaml:10:43: error[check] spec.server.args[2]: --port in server.args {OWNED} "
         "(hint: --port is set by the engine's port in the catalog (probes, Service and "
         "Gateway use it); remove it)"],
        id="vllm-tp-and-port"),
    pytest.param(
        model("""
          server:
            engine: vllm
            args: [-tp, "2"]
          accelerator: {type: nvidia-l4}
        """),
        [f"specs/m.yaml:10:12: error[check] spec.server.args[0]: -tp in server.args {OWNED} "
         "(-tp is another name for --tensor-parallel-size) (hint: --tensor-parallel-size is "
         "set from spec.accelerator.parallelism; change that field instead)"],
        id="vllm-short-alias"),
    pytest.param(
        model("""
          server:
            engine: vllm
            env: {HF_HOME: /data/hf}
          accelerator: {type: nvidia-l4}
        """),
        [f"specs/m.yaml:10:20: error[check] spec.server.env.HF_HOME: HF_HOME in server.env "
         f"{OWNED} (hint: HF_HOME is set by infergen (the model cache on an emptyDir); "
         "remove it)"],
        id="vllm-hf-home"),
    pytest.param(
        model("""
          server:
            engine: vllm
            env: {USER: root}
          accelerator: {type: nvidia-l4}
        """),
        [f"specs/m.yaml:10:17: error[check] spec.server.env.USER: USER in server.env {OWNED} "
         "(hint: USER is set by infergen (the pod's user and home, gke.yaml podSecurity); "
         "remove it)"],
        id="pod-user"),
    pytest.param(
        model("""
          model:
            source: hf://google/gemma-2b-it
            maxModelLength: 2048
          server:
            engine: tgi
            env: {SHARDED: "true"}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:11:20: error[check] spec.server.env.SHARDED: SHARDED and NUM_SHARD cannot "
         "be set together on tgi 2.4.0: sharding follows NUM_SHARD (the launcher exits on "
         "SHARDED=true with NUM_SHARD 1) (hint: remove it: infergen sets NUM_SHARD)"],
        id="tgi-sharded"),
    pytest.param(
        model("""
          model:
            source: hf://google/gemma-2b-it
            maxModelLength: 2048
          server:
            engine: tgi
            env: {MAX_BATCH_PREFILL_TOKENS: "1024"}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:11:37: error[check] spec.server.env.MAX_BATCH_PREFILL_TOKENS: "
         "MAX_BATCH_PREFILL_TOKENS=1024 is below MAX_INPUT_TOKENS=2047, which infergen derives "
         "from spec.model.maxModelLength: tgi 2.4.0 exits (hint: set it to at least 2047, or "
         "remove it)"],
        id="tgi-prefill-below-input"),
    pytest.param(
        model("""
          model:
            source: hf://google/gemma-2b-it
          server:
            engine: tgi
            env: {QUANTIZE: awq}
          accelerator: {type: nvidia-l4}
        """),
        [f"specs/m.yaml:10:21: error[check] spec.server.env.QUANTIZE: QUANTIZE in server.env "
         f"{OWNED} (hint: QUANTIZE is set from spec.model.dtype; change that field instead)"],
        id="tgi-quantize-next-to-dtype"),
    pytest.param(
        model("""
          server:
            engine: tei
            args: [--port, "9000", --pooling=cls, --pooling=mean]
          accelerator: {type: nvidia-l4}
        """),
        [f"specs/m.yaml:10:12: error[check] spec.server.args[0]: --port in server.args {OWNED} "
         "(hint: --port is set by the engine's port in the catalog (probes, Service and "
         "Gateway use it); remove it)",
         "specs/m.yaml:10:43: error[check] spec.server.args[3]: --pooling is given twice in "
         "server.args: tei 1.9.3 exits (the option may be given once) (hint: give it once)"],
        id="tei-repeated-flags"),
    pytest.param(
        model("""
          server:
            engine: tei
            env: {HF_API_TOKEN: "$(HF_TOKEN)"}
          accelerator: {type: nvidia-l4}
        """),
        [f"specs/m.yaml:10:25: error[check] spec.server.env.HF_API_TOKEN: HF_API_TOKEN in "
         f"server.env {OWNED} (HF_API_TOKEN is another name for HF_TOKEN) (hint: HF_TOKEN is "
         "set from spec.model.tokenSecret; change that field instead)"],
        id="tei-token-alias"),
    pytest.param(
        model("""
          server:
            engine: sglang
            args: [--tp, "2"]
          accelerator: {type: nvidia-l4}
        """),
        [f"specs/m.yaml:10:12: error[check] spec.server.args[0]: --tp in server.args {OWNED} "
         "(--tp is another name for --tp-size) (hint: --tp-size is set from "
         "spec.accelerator.parallelism; change that field instead)"],
        id="sglang-abbreviation"),
    pytest.param(
        model("""
          model:
            source: hf://google/gemma-7b-it
          server:
            engine: jetstream
            args: [--prometheus_port=9090]
          accelerator: {type: tpu-v5e, topology: 2x4}
        """),
        ["specs/m.yaml:10:12: error[check] spec.server.args[0]: --prometheus_port is not an "
         "option of jetstream jetstream-v0.2.4 (the engine exits on it) (hint: see jetstream's "
         "own option list)"],
        id="jetstream-unknown-flag-is-fatal"),
    pytest.param(
        model("""
          model: {source: "gs://bucket-1/repo"}
          server: {engine: triton}
          accelerator:
            type: nvidia-l4
            sharing: {strategy: time-sharing, maxSharedClients: 2}
        """),
        ["specs/m.yaml:10:14: error[check] spec.accelerator.sharing: engine triton takes most of a "
         "GPU's memory and infergen cannot cap it: a second client on a time-sharing GPU runs "
         "out of memory (hint: use MIG, or a GPU of its own)"],
        id="triton-shared-gpu"),
    pytest.param(
        model("""
          model: {source: "hf://google/gemma-7b-it@0123abc"}
          server: {engine: jetstream}
          accelerator: {type: tpu-v5e, topology: 2x4}
        """),
        ["specs/m.yaml:6:19: error[check] spec.model.source: engine jetstream jetstream-v0.2.4 "
         "cannot pin a Hugging Face revision (it has no revision flag) (hint: use "
         "hf://google/gemma-7b-it)"],
        id="jetstream-revision"),
    pytest.param(
        model("""
          model: {source: "gs://bucket-1/models/google/gemma-2-9b-it"}
          server: {engine: jetstream}
          accelerator: {type: tpu-v5e, topology: 2x4}
        """),
        ["specs/m.yaml:6:19: error[check] spec.model.source: engine jetstream jetstream-v0.2.4 "
         "does not serve google/gemma-2-9b-it: it serves only 16 models (hint: one of: "
         "meta-llama/Llama-2-7b-chat-hf, meta-llama/Llama-2-7b-hf, "
         "meta-llama/Llama-2-13b-chat-hf, meta-llama/Llama-2-13b-hf, meta-llama/Llama-2-70b-hf, "
         "meta-llama/Llama-2-70b-chat-hf, meta-llama/Meta-Llama-3-8B, "
         "meta-llama/Meta-Llama-3-8B-Instruct, meta-llama/Meta-Llama-3-70B, "
         "meta-llama/Meta-Llama-3-70B-Instruct, google/gemma-2b, google/gemma-2b-it, "
         "google/gemma-7b, google/gemma-7b-it, mistralai/Mixtral-8x7B-v0.1, "
         "mistralai/Mixtral-8x7B-Instruct-v0.1)"],
        id="jetstream-unsupported-model"),
    pytest.param(
        model("""
          model: {source: "gs://bucket-1/gemma"}
          server: {engine: jetstream}
          accelerator: {type: tpu-v5e, topology: 2x4}
        """),
        ["specs/m.yaml:6:19: error[check] spec.model.source: engine jetstream reads a bucket laid "
         "out as its download cache (hint: gs://BUCKET/[PREFIX/]ORG/NAME, with "
         "ORG/NAME/hf_original/ holding the safetensors, *.json and tokenizer.model)"],
        id="jetstream-bucket-layout"),
    pytest.param(
        model("""
          model: {source: hf://google/gemma-7b-it}
          server: {engine: jetstream}
          accelerator: {type: tpu-v5e, topology: 2x4}
          scaling: {minReplicas: 1, maxReplicas: 2}
        """),
        ["specs/m.yaml:9:3: error[check] spec.scaling.metric: engine jetstream has no queue-size "
         "metric (jetstream-v0.2.4's `jpt serve` exports no metrics) (hint: choose one of: "
         "none)"],
        id="jetstream-cannot-autoscale"),
    pytest.param(
        model("""
          model: {source: hf://org/m, dtype: int4}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:6:38: error[check] spec.model.dtype: engine vllm does not quantize a "
         "checkpoint to int4 at load (only to fp8) (hint: for a checkpoint already quantized to "
         "int4 (AWQ, GPTQ, ...) set model.preQuantized: true; else use fp8)"],
        id="vllm-int4-needs-a-quantized-checkpoint"),
    pytest.param(
        model("""
          model: {source: hf://org/m, dtype: bfloat16, preQuantized: true}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:6:38: error[check] spec.model.dtype: a pre-quantized checkpoint is not "
         "bfloat16 (hint: give its precision: one of fp8, int8, int4)"],
        id="pre-quantized-bfloat16"),
    pytest.param(
        model("""
          model: {source: hf://org/m, dtype: float16, preQuantized: true}
          server: {engine: tei}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:6:61: error[check] spec.model.preQuantized: engine tei does not load "
         "pre-quantized checkpoints (hint: use vllm, tgi, jetstream-maxtext, sglang)"],
        id="tei-pre-quantized"),
    pytest.param(
        model("""
          model: {source: hf://meta-llama/Llama-3.3-70B-Instruct, parameters: 70B}
          accelerator: {type: tpu-v6e, topology: 4x4}
        """),
        ["specs/m.yaml:7:16: error[check] spec.accelerator: engine vllm cannot serve one replica "
         "across 4 nodes: GKE does not support vLLM across the hosts of a multi-host TPU slice "
         "(hint: choose an accelerator that fits one node (a single-host slice))"],
        id="vllm-multi-host-tpu"),
    pytest.param(
        model("""
          model: {source: hf://google/gemma-2b-it}
          server: {engine: tgi}
          accelerator: {type: nvidia-gb200, count: 4}
        """),
        ["specs/m.yaml:8:23: error[check] spec.accelerator.type: nvidia-gb200 nodes are arm64, "
         "and engine tgi's pinned image is built for amd64 only: the pod cannot pull it "
         "(hint: choose an amd64 GPU, or give server.image an image of tgi built for arm64)"],
        id="x86-image-on-arm"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_conflict_is_one_error_at_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           text: str, expected: list[str]) -> None:
    assert_fails(render(tmp_path, monkeypatch, {"m.yaml": text}), expected)


def test_an_unknown_flag_is_an_error_and_only_a_warning_on_a_users_image(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """vLLM exits 2 on an unknown option; with server.image the contract is unknown."""
    args = "args: [--max-num-sequences=8, --enable-prefix-caching, --no-enable-prefix-caching]"
    text = model(f"""
      server:
        engine: vllm
        {args}
      accelerator: {{type: nvidia-l4}}
    """)
    assert_fails(render(tmp_path, monkeypatch, {"m.yaml": text}), [
        "specs/m.yaml:10:12: error[check] spec.server.args[0]: --max-num-sequences is not an "
        "option of vllm 0.34.0 (the engine exits on it) (hint: did you mean --max-num-seqs?)"], [
        unsized(),
        "specs/m.yaml:10:60: warning[check] spec.server.args[2]: --no-enable-prefix-caching is "
        "given twice in server.args: vllm 0.34.0 keeps the last (hint: give it once)"])
    own = text.replace("engine: vllm", 'engine: vllm\n    image: "example.com/vllm:fork"')
    run = render(tmp_path, monkeypatch, {"m.yaml": own})
    assert run.exit_code == 0, run.stderr
    assert run.warnings[1] == (
        "specs/m.yaml:11:12: warning[check] spec.server.args[0]: --max-num-sequences is not an "
        "option of vllm 0.34.0 (the engine exits on it) (server.image replaces the catalog's "
        "image, whose options infergen cannot know) (hint: did you mean --max-num-seqs?)")


def test_user_image_may_run_on_arm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = model("""
      server: {engine: tgi, image: "example.com/tgi-arm64:2.4.0"}
      accelerator: {type: nvidia-gb200, count: 4}
    """)
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr


# Google's GKE TGI sample (kubernetes-engine-samples ai-ml/llm-serving-gemma/tgi) sets
# MAX_INPUT_LENGTH in the container env; written as an infergen spec it is server.env.
GOOGLE_TGI_SAMPLE = model("""
  model:
    source: hf://google/gemma-2b-it
    tokenSecret: hf-secret
    maxModelLength: 2048
  server:
    engine: tgi
    env: {MAX_INPUT_LENGTH: "1562"}
  accelerator: {type: nvidia-l4}
""")


def _tgi_env(tmp_path: Path) -> list[tuple[str, str | None]]:
    deployment = next(yaml.safe_load(p.read_text()) for p in (tmp_path / "rendered").rglob(
        "deployment.yaml"))
    return [(e["name"], e.get("value"))
            for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]]


def test_google_tgi_sample_renders_its_lower_input_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No field expresses an input limit below maxModelLength - 1 (issue 20): the sample's
    alias replaces the derived MAX_INPUT_TOKENS, since TGI exits when both names are set,
    and the pod has one name per setting."""
    run = render(tmp_path, monkeypatch, {"m.yaml": GOOGLE_TGI_SAMPLE})
    assert run.exit_code == 0, run.stderr
    env = _tgi_env(tmp_path)
    terms = contract("tgi")
    assert terms is not None
    keys = [terms.key(name) for name, _ in env]
    assert len(keys) == len(set(keys)), env
    assert ("MAX_INPUT_LENGTH", "1562") in env and ("MAX_TOTAL_TOKENS", "2048") in env


def test_an_input_limit_above_the_derived_one_is_refused_at_its_alias(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TGI exits unless max_input_tokens < max_total_tokens: above maxModelLength - 1 the
    alias is one error at the spec line, pointing at the field that owns the setting."""
    text = GOOGLE_TGI_SAMPLE.replace('"1562"', '"2048"')
    assert_fails(render(tmp_path, monkeypatch, {"m.yaml": text}), [
        f"specs/m.yaml:12:29: error[check] spec.server.env.MAX_INPUT_LENGTH: MAX_INPUT_LENGTH in "
        f"server.env {OWNED} (MAX_INPUT_LENGTH is another name for MAX_INPUT_TOKENS) (hint: "
        "MAX_INPUT_TOKENS is set from spec.model.maxModelLength; change that field instead)"])


def test_google_tgi_sample_without_the_alias_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the alias, the derived limit is rendered under its own name only."""
    text = GOOGLE_TGI_SAMPLE.replace('    env: {MAX_INPUT_LENGTH: "1562"}\n', "")
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr
    env = [name for name, _ in _tgi_env(tmp_path)]
    terms = contract("tgi")
    assert terms is not None
    keys = [terms.key(name) for name in env]
    assert len(keys) == len(set(keys)), env
    assert "MAX_INPUT_TOKENS" in env and "MAX_INPUT_LENGTH" not in env


def test_split_args_takes_both_spellings() -> None:
    assert split_args(["--tp", "2", "--port=9000", "-q", "fp8", "--x", "-1"]) == [
        (0, "--tp", None), (2, "--port", "9000"), (3, "-q", None), (5, "--x", None)]


def test_clap_flag_and_env_name_are_one_setting() -> None:
    tgi = contract("tgi")
    assert tgi is not None
    assert tgi.key("--max-input-length") == tgi.key("MAX_INPUT_TOKENS") == "MAX_INPUT_TOKENS"
    assert contract("custom") is None


def _main_container(tmp_path: Path) -> dict[str, object]:
    deployment = next(yaml.safe_load(p.read_text()) for p in (tmp_path / "rendered").rglob(
        "deployment.yaml") if not p.name.endswith("-epp.yaml"))
    container: dict[str, object] = deployment["spec"]["template"]["spec"]["containers"][0]
    return container


def test_pre_quantized_checkpoint_gets_no_dtype_on_tgi(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TGI reads quant_method from the checkpoint; DTYPE next to it fails the shard."""
    text = model("""
      model: {source: hf://org/m-awq, dtype: int4, preQuantized: true}
      server: {engine: tgi}
      accelerator: {type: nvidia-l4}
    """)
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr
    env = [e["name"] for e in _main_container(tmp_path)["env"]]  # type: ignore[union-attr]
    assert "DTYPE" not in env and "QUANTIZE" not in env and "MODEL_ID" in env


def test_adapter_rank_reaches_vllm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = model("""
      model:
        source: hf://org/m
        adapters:
          - {name: a, source: "hf://org/a", rank: 64}
          - {name: b, source: "hf://org/b"}
      accelerator: {type: nvidia-l4}
    """)
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr
    assert "--max-lora-rank=64" in _main_container(tmp_path)["args"]  # type: ignore[operator]


@pytest.mark.parametrize(("engine", "setting"), [
    ("vllm", "--gpu-memory-utilization=0.45"),
    ("sglang", "--mem-fraction-static=0.44"),
    ("tgi", "CUDA_MEMORY_FRACTION"),
])
def test_a_shared_gpu_caps_each_engines_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               engine: str, setting: str) -> None:
    text = model(f"""
      server: {{engine: {engine}}}
      accelerator:
        type: nvidia-l4
        sharing: {{strategy: mps, maxSharedClients: 2}}
    """)
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr
    container = _main_container(tmp_path)
    env = {e["name"]: e["value"] for e in container.get("env", [])  # type: ignore[attr-defined]
           if "value" in e}
    assert setting in container.get("args", []) or env.get(setting) == "0.45"  # type: ignore[attr-defined,operator]


def test_tei_on_a_cpu_defaults_to_float32(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TEI's CPU build (ORT) serves float32 only; float16 falls back to slow Candle."""
    text = model("""
      server: {engine: tei}
      accelerator: {type: none}
    """)
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr
    assert "--dtype=float32" in _main_container(tmp_path)["args"]  # type: ignore[operator]


def test_an_engine_without_metrics_is_neither_scraped_nor_alerted_on_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """JetStream v0.2.4 serves no metrics: a scrape would fail and `up == 0` would page."""
    text = model("""
      model: {source: hf://google/gemma-7b-it}
      server: {engine: jetstream}
      accelerator: {type: tpu-v5e, topology: 2x4}
      monitoring: {alerts: true}
    """)
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr
    names = {p.name for p in (tmp_path / "rendered").rglob("*.yaml")}
    assert "podmonitoring.yaml" not in names
    rules = "".join(p.read_text() for p in (tmp_path / "rendered").rglob("rules.yaml"))
    assert "ModelRestarting" in rules and "ModelNoReplicaUp" not in rules


def test_a_tpu_pod_is_checked_against_its_own_vllm_release(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # vLLM 0.34.0 (the GPU image) pairs --enable-X with --disable-X; vllm-tpu 0.32.0 does not
    for accelerator, refused in (("{type: nvidia-l4}", False),
                                 ("{type: tpu-v5e, count: 4, topology: 2x2}", True)):
        text = model(f"""
          server:
            engine: vllm
            args: [--disable-chunked-prefill]
          accelerator: {accelerator}
        """)
        run = render(tmp_path, monkeypatch, {"m.yaml": text})
        if refused:
            assert_fails(run, [
                "specs/m.yaml:10:12: error[check] spec.server.args[0]: --disable-chunked-prefill "
                "is not an option of vllm-tpu 0.32.0, which pairs --enable-chunked-prefill with "
                "--no-enable-chunked-prefill only (the engine exits on it) (hint: use "
                "--no-enable-chunked-prefill)"])
        else:
            assert run.exit_code == 0, run.stderr
