"""Engine and model-source rules: pairs that cannot work are refused with a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks.test_errors_accelerators import model
from tests.errorcases import assert_fails, render

CASES = [
    pytest.param(
        model("""
          server: {engine: tei}
          accelerator: {type: nvidia-l4, count: 2}
        """),
        ["specs/m.yaml:9:41: error[check] spec.accelerator.count: engine tei does not split a "
         "model across 2 devices (hint: use count 1 and more replicas)"],
        id="tei-tensor-parallel"),
    pytest.param(
        model("""
          server: {engine: triton}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:7:13: error[check] spec.model.source: engine triton cannot load hf:// "
         "sources (hint: use one of: gs://, oci://, pvc://)"],
        id="triton-from-hugging-face"),
    pytest.param(
        model("""
          server: {engine: tgi}
          accelerator: {type: nvidia-h100-80gb, count: 16}
        """),
        ["specs/m.yaml:9:16: error[check] spec.accelerator: engine tgi cannot serve one replica "
         "across 2 nodes (hint: choose an accelerator that fits one node)"],
        id="tgi-multi-node"),
    pytest.param(
        model("""
          server: {engine: tgi}
          accelerator: {type: nvidia-l4}
          scaling: {minReplicas: 1, maxReplicas: 2, metric: kv-cache-usage}
        """),
        ["specs/m.yaml:10:53: error[check] spec.scaling.metric: engine tgi has no kv-cache-usage "
         "metric (hint: choose one of: batch-size, queue-size, none)"],
        id="tgi-kv-cache-metric"),
    pytest.param(
        model("""
          server: {engine: tei}
          model: {dtype: bfloat16}
          accelerator: {type: nvidia-l4}
        """).replace("  model: {dtype: bfloat16}\n", "").replace(
            "    source: hf://org/m\n", "    source: hf://org/m\n    dtype: bfloat16\n"),
        ["specs/m.yaml:8:12: error[check] spec.model.dtype: engine tei does not serve bfloat16 "
         "models (hint: use one of: float32, float16)"],
        id="tei-bfloat16"),
    pytest.param(
        model("""
          server: {engine: custom}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:8:11: error[check] spec.server: a custom engine needs server.image (hint: "
         "the image of your server)"],
        id="custom-without-image"),
    pytest.param(
        model("""
          server: {engine: custom, image: "acme/server:1"}
          accelerator: {type: nvidia-l4}
          scaling: {minReplicas: 1, maxReplicas: 3}
        """),
        ["specs/m.yaml:10:3: error[check] spec.scaling.metric: engine custom has no "
         "queue-size metric (hint: name the metric in server.metrics)"],
        id="custom-without-metrics"),
    pytest.param(
        model("""
          server: {engine: custom, image: "acme/server:1", metrics: {queueSize: pending}}
          accelerator: {type: nvidia-l4}
          scaling: {minReplicas: 1, maxReplicas: 3}
        """),
        ["specs/m.yaml:10:3: error[check] spec.scaling.target: scaling on engine custom's "
         "queue-size needs scaling.target (hint: the per-pod value of the metric at which to "
         "add a replica)"],
        id="custom-metric-without-target"),
    pytest.param(
        model("""
          server: {port: 9000}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:8:18: error[check] spec.server.port: server.port applies to custom "
         "engines only (hint: engine vllm sets its own)"],
        id="custom-field-on-vllm"),
    pytest.param(
        model("""
          model:
            source: hf://org/m
            adapters: [{name: a, source: hf://org/a}]
          server: {engine: tgi}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:8:15: error[check] spec.model.adapters: engine tgi does not serve LoRA "
         "adapters (hint: use vllm, or merge the adapter into the model)"],
        id="adapters-on-tgi"),
    pytest.param(
        model("""
          model:
            source: hf://org/m
            adapters:
              - {name: a, source: hf://org/a@v1}
              - {name: a, source: gs://bucket/a}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:9:27: error[check] spec.model.adapters[0].source: an adapter's Hugging "
         "Face revision cannot be pinned: the engine loads the repository's default branch "
         "(hint: remove @REVISION, or copy the adapter to Cloud Storage (gs://))",
         "specs/m.yaml:10:16: error[check] spec.model.adapters[1].name: adapter name 'a' is "
         "used twice"],
        id="adapter-revision-and-duplicate-name"),
    pytest.param(
        model("""
          model: {source: "oci://us-docker.pkg.dev/p/r/model:v1"}
          server: {image: "vllm/vllm-openai:v0.10.1"}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:7:19: error[check] spec.server.image: server.image is set, but an oci:// "
         "source is the serving image itself (hint: remove server.image, or load the weights "
         "from hf:// or gs://)"],
        id="oci-with-server-image"),
    pytest.param(
        model("""
          server: {engine: tgi}
          accelerator: {type: nvidia-l4}
          routing: {inferenceGateway: true}
        """),
        ["specs/m.yaml:10:31: error[check] spec.routing.inferenceGateway: GKE Inference "
         "Gateway's endpoint picker cannot read engine tgi's load (hint: use one of: vllm, "
         "sglang)"],
        id="gateway-for-tgi"),
    pytest.param(
        model("""
          model: {source: "gs://A"}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:6:19: error[check] spec.model.source: 'gs://A' is not a model source "
         "(hint: one of: hf://ORG/NAME[@REVISION], gs://BUCKET[/PATH], "
         "oci://REGISTRY/IMAGE:TAG, pvc://CLAIM[/PATH])"],
        id="malformed-bucket"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_engine_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                     expected: list[str]) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert_fails(run, expected)
