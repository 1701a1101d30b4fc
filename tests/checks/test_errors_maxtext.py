"""The jetstream-maxtext engine's rules (checks/maxtext.py and the engine rules it shares),
each refused at its spec line: the ICI parallelism against the slice's chips, the Pathways
scratch bucket, a gs:// MaxText checkpoint, a multi-host slice, MaxText's own names and
keys at the pinned release, and what the engine cannot do (scale to zero, GPU sharing,
Inference Gateway)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.errorcases import assert_fails, render

# A valid spec: Llama 3.1 405B, int8, on a v6e 4x4 slice (16 chips). Each case replaces
# one piece of it.
BASE = """\
apiVersion: infergen.dev/v1alpha1
kind: ModelDeployment
metadata:
  name: m
spec:
  model:
    source: gs://acme-models/llama/0/items
    parameters: 405B
    dtype: int8
    preQuantized: true
  server:
    engine: jetstream-maxtext
    maxtext:
      modelName: llama3.1-405b
      parallelism: {ici_tensor: 8, ici_autoregressive: 2}
      quantization: int8
    pathways: {scratch: gs://acme-pathways/tmp}
  accelerator: {type: tpu-v6e, topology: 4x4}
  identity: {gcpServiceAccount: reader@acme.iam.gserviceaccount.com}
"""


def variant(*edits: tuple[str, str]) -> str:
    text = BASE
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


ARGS = ("    pathways: {scratch: gs://acme-pathways/tmp}\n",
        "    pathways: {scratch: gs://acme-pathways/tmp}\n    args: [%s]\n")


def args(items: str) -> tuple[str, str]:
    return ARGS[0], ARGS[1] % items


CASES = [
    pytest.param(
        variant(("{ici_tensor: 8, ici_autoregressive: 2}", "{ici_tensor: 8}")),
        ["specs/m.yaml:15:20: error[check] spec.server.maxtext.parallelism: ICI parallelism "
         "ici_tensor 8 = 8, but the 4x4 slice has 16 chips (hint: make the product 16, for "
         "example ici_tensor: 8, ici_autoregressive: 2)"],
        id="parallelism-product"),
    pytest.param(
        variant(("    pathways: {scratch: gs://acme-pathways/tmp}\n", "")),
        ["specs/m.yaml:11:3: error[check] spec.server: engine jetstream-maxtext needs a "
         "scratch bucket for Pathways: server.pathways.scratch (hint: for example `pathways: "
         "{scratch: gs://BUCKET/pathways}`, writable by identity.gcpServiceAccount)"],
        id="no-scratch-bucket"),
    pytest.param(
        variant(("gs://acme-models/llama/0/items", "hf://meta-llama/Llama-3.1-405B")),
        ["specs/m.yaml:7:13: error[check] spec.model.source: engine jetstream-maxtext cannot "
         "load hf:// sources (hint: convert the checkpoint to MaxText's format first (the "
         "tutorial's conversion Job), then set model.source to its gs:// path)"],
        id="hf-source"),
    pytest.param(
        variant(("topology: 4x4", "topology: 2x4"), ("parameters: 405B", "parameters: 8B"),
                ("{ici_tensor: 8, ici_autoregressive: 2}", "{ici_tensor: 8}")),
        ["specs/m.yaml:18:42: error[check] spec.accelerator.topology: engine jetstream-maxtext"
         " spans the hosts of a multi-host TPU slice; 2x4 is a single host (hint: one of 4x4, "
         "4x8, 8x8, 8x16, 16x16; on one host, use engine vllm or jetstream)"],
        id="single-host"),
    pytest.param(
        variant(("accelerator: {type: tpu-v6e, topology: 4x4}",
                 "accelerator: {type: nvidia-h100-80gb, count: 16}")),
        ["specs/m.yaml:18:23: error[check] spec.accelerator.type: engine jetstream-maxtext "
         "does not run on gpus (hint: choose an accelerator of kind: tpu)"],
        id="gpu"),
    pytest.param(
        variant(("topology: 4x4}", "topology: 4x4, sharing: {strategy: time-sharing, "
                 "maxSharedClients: 2}}")),
        ["specs/m.yaml:18:56: error[check] spec.accelerator.sharing: sharing applies to GPUs "
         "only"],
        id="no-gpu-sharing"),
    pytest.param(
        variant(("  identity:", "  scaling: {minReplicas: 0, maxReplicas: 2}\n  identity:")),
        ["specs/m.yaml:19:26: error[check] spec.scaling.minReplicas: engine jetstream-maxtext "
         "cannot scale to zero: its metrics are served by the group's leader, and a multi-host"
         " slice takes many minutes to provision and load again (hint: use minReplicas: 1)",
         "specs/m.yaml:19:26: error[check] spec.scaling.minReplicas: minReplicas 0 (scale to "
         "zero) is not possible with a HorizontalPodAutoscaler on GKE (hint: use minReplicas: "
         "1, or `autoscaler: keda` on the Platform's environment)"],
        id="min-replicas-zero"),
    pytest.param(
        variant(("modelName: llama3.1-405b", "modelName: llama-3.1-405b")),
        ["specs/m.yaml:14:18: error[check] spec.server.maxtext.modelName: MaxText "
         "tpu-recipes-v0.1.2 knows no model 'llama-3.1-405b' (hint: did you mean "
         "llama3.1-405b? one of: deepseek2-16b, deepseek2-236b, deepseek3-671b, gemma-2b, "
         "gemma-7b, gemma2-27b, gemma2-2b, gemma2-9b, gemma3-12b, gemma3-27b, gemma3-4b, "
         "gpt3-175b, gpt3-22b, gpt3-52k, gpt3-6b, llama2-13b, llama2-70b, llama2-7b, "
         "llama3-70b, llama3-8b, llama3.1-405b, llama3.1-70b, llama3.1-8b, llama3.3-70b, "
         "llama4-17b-16e, mistral-7b, mixtral-8x22b, mixtral-8x7b)"],
        id="unknown-model"),
    pytest.param(
        variant(("modelName: llama3.1-405b\n",
                 "modelName: llama3.1-405b\n      config: MaxText/configs/v5e/llama3_405b.yml\n")),
        ["specs/m.yaml:15:15: error[check] spec.server.maxtext.config: "
         "MaxText/configs/v5e/llama3_405b.yml is not a config file of MaxText "
         "tpu-recipes-v0.1.2 (hint: did you mean MaxText/configs/models/llama3-405b.yml? a "
         "path under MaxText/configs/)"],
        id="unknown-config"),
    pytest.param(
        variant(("ici_autoregressive: 2", "ici_autoregresive: 2")),
        ["specs/m.yaml:15:55: error[check] spec.server.maxtext.parallelism.ici_autoregresive: "
         "ici_autoregresive is not an ICI axis of MaxText tpu-recipes-v0.1.2 (hint: did you "
         "mean ici_autoregressive? one of: ici_autoregressive, ici_context, "
         "ici_context_autoregressive, ici_data, ici_expert, ici_fsdp, ici_fsdp_transpose, "
         "ici_pipeline, ici_sequence, ici_tensor, ici_tensor_sequence, ici_tensor_transpose)"],
        id="unknown-axis"),
    pytest.param(
        variant(("quantization: int8", "quantization: fp8")),
        ["specs/m.yaml:16:21: error[check] spec.server.maxtext.quantization: MaxText's fp8 "
         "quantization is for GPUs (hint: on TPUs, one of: aqt_fp8, int8, intmp)"],
        id="gpu-quantization"),
    pytest.param(
        variant(("quantization: int8", "quantization: intmp")),
        ["specs/m.yaml:16:21: error[check] spec.server.maxtext.quantization: quantization "
         "intmp needs MaxText's quant_cfg_path (hint: add `quant_cfg_path=<file>` to "
         "server.args)"],
        id="intmp-config"),
    pytest.param(
        variant(("      quantization: int8\n", "")),
        ["specs/m.yaml:9:12: error[check] spec.model.dtype: int8 weights need MaxText's "
         "quantization (hint: set server.maxtext.quantization: int8 (and model.preQuantized "
         "for an int8 checkpoint))"],
        id="int8-without-quantization"),
    pytest.param(
        variant(args("ici_tensor_parallelism=16, per_device_batch_size=4")),
        ["specs/m.yaml:18:12: error[check] spec.server.args[0]: ici_tensor_parallelism is set "
         "from spec.server.maxtext.parallelism (hint: change that field instead)",
         "specs/m.yaml:18:39: error[check] spec.server.args[1]: per_device_batch_size is set "
         "from spec.server.maxtext.perDeviceBatchSize (hint: change that field instead)"],
        id="args-owned"),
    pytest.param(
        variant(args("enable_model_warmpu=true, --port=9000, base_num_decoder_layers=2")),
        ["specs/m.yaml:18:12: error[check] spec.server.args[0]: MaxText tpu-recipes-v0.1.2 has"
         " no setting 'enable_model_warmpu' (its command line takes only keys of "
         "configs/base.yml) (hint: did you mean enable_model_warmup?)",
         "specs/m.yaml:18:38: error[check] spec.server.args[1]: '--port=9000' is not a MaxText"
         " `key=value` setting (hint: MaxText reads its settings as key=value, for example "
         "enable_model_warmup=true)",
         "specs/m.yaml:18:51: error[check] spec.server.args[2]: base_num_decoder_layers is set"
         " by MaxText's config of the model, and MaxText refuses a key set there and on the "
         "command line (hint: remove it)"],
        id="args-unknown-flag-model-key"),
    pytest.param(
        variant(("  identity:", "  routing: {inferenceGateway: true}\n  identity:")),
        ["specs/m.yaml:19:31: error[check] spec.routing.inferenceGateway: GKE Inference "
         "Gateway's endpoint picker cannot read engine jetstream-maxtext's load (hint: use one"
         " of: vllm, sglang)"],
        id="no-inference-gateway"),
    pytest.param(
        """\
apiVersion: infergen.dev/v1alpha1
kind: ModelDeployment
metadata:
  name: m
spec:
  model:
    source: hf://org/m
  server:
    engine: vllm
    maxtext: {modelName: llama3.1-8b}
    pathways: {scratch: gs://acme-pathways/tmp}
  accelerator: {type: nvidia-l4}
""",
        ["specs/m.yaml:10:14: error[check] spec.server.maxtext: server.maxtext applies to "
         "engine jetstream-maxtext only (hint: remove it, or use engine jetstream-maxtext (not"
         " vllm))",
         "specs/m.yaml:11:15: error[check] spec.server.pathways: server.pathways applies to "
         "engine jetstream-maxtext only (hint: remove it, or use engine jetstream-maxtext (not"
         " vllm))"],
        id="fields-of-another-engine"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_maxtext_rule_refuses_at_the_spec_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               text: str, expected: list[str]) -> None:
    assert_fails(render(tmp_path, monkeypatch, {"m.yaml": text}), expected)


def test_the_base_spec_renders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": BASE})
    assert run.exit_code == 0, run.stderr
    assert run.warnings == []


def test_no_identity_warns_who_reaches_the_buckets(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    text = variant(("  identity: {gcpServiceAccount: reader@acme.iam.gserviceaccount.com}\n", ""))
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr
    assert run.warnings == [
        "specs/m.yaml:7:13: warning[check] spec.model.source: no identity.gcpServiceAccount: "
        "the pods reach gs://acme-models and the scratch bucket as their Kubernetes "
        "ServiceAccount, through Workload Identity Federation (hint: set "
        "identity.gcpServiceAccount, or grant that principal read on the checkpoint and write "
        "on the scratch bucket)"]
