"""The serving fields of December 2026 (model.servedName, model.cache, pvc:// sources,
server.volumes, accelerator.parallelism, accelerator.driverVersion, dynamic LoRA): each
wrong use is one diagnostic at its spec line, with a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks.test_errors_accelerators import model
from tests.errorcases import PLATFORM, assert_fails, render

CASES = [
    # --- model.servedName
    pytest.param(
        model("""
          model:
            source: hf://org/m
            servedName: m
          server: {engine: tgi}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:8:17: error[check] spec.model.servedName: engine tgi has no option to "
         "serve the model under another name (hint: remove servedName (clients use the model "
         "id), or use vllm, sglang, tei)"],
        id="served-name-tgi"),
    pytest.param(
        model("""
          model:
            source: hf://org/m
            servedName: [a, b]
          server: {engine: sglang}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:8:17: error[check] spec.model.servedName: engine sglang serves a model "
         "under one name (--served-model-name takes one), not 2 (hint: give one name)"],
        id="served-name-sglang-two"),
    pytest.param(
        model("""
          model:
            source: hf://org/m
            servedName: [a, a]
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:8:17: error[schema] spec.model.servedName: ['a', 'a'] has non-unique "
         "elements"],
        id="served-name-twice"),
    pytest.param(
        model("""
          model:
            source: hf://org/m
          server: {args: [--served-model-name=x]}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:8:19: error[check] spec.server.args[0]: --served-model-name in "
         "server.args sets what infergen derives (hint: --served-model-name is set from "
         "spec.model.servedName; change that field instead)"],
        id="served-name-in-args"),
    # --- model.cache
    pytest.param(
        model("""
          model:
            source: hf://org/m
            cache: {persistentVolumeClaim: hf-cache, size: 100Gi}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:8:52: error[check] spec.model.cache.size: model.cache.size does not "
         "apply to an existing claim: the claim has its own size and class (hint: remove it, "
         "or remove persistentVolumeClaim for a disk per pod)"],
        id="cache-claim-with-size"),
    pytest.param(
        model("""
          model:
            source: hf://org/m
            cache: {storageClass: premium-rwo}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:8:27: error[check] spec.model.cache.storageClass: a per-pod disk "
         "(model.cache.storageClass) needs model.cache.size (hint: the checkpoint's size and "
         "some headroom, such as 200Gi)"],
        id="cache-class-without-size"),
    pytest.param(
        model("""
          model:
            source: hf://org/m
            cache: {size: 200GB}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:8:19: error[schema] spec.model.cache.size: '200GB' is not valid: Size "
         "of the download disk, such as 200Gi."],
        id="cache-size-unit"),
    # --- pvc:// sources
    pytest.param(
        model("""
          model: {source: "pvc://weights/../etc"}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:6:19: error[check] spec.model.source: 'pvc://weights/../etc' is not a "
         "model source (hint: one of: hf://ORG/NAME[@REVISION], gs://BUCKET[/PATH], "
         "oci://REGISTRY/IMAGE:TAG, pvc://CLAIM[/PATH])"],
        id="pvc-dot-dot"),
    pytest.param(
        model("""
          model: {source: "pvc://Weights_On_Claim/m"}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:6:19: error[check] spec.model.source: 'pvc://Weights_On_Claim/m' is not "
         "a model source (hint: one of: hf://ORG/NAME[@REVISION], gs://BUCKET[/PATH], "
         "oci://REGISTRY/IMAGE:TAG, pvc://CLAIM[/PATH])"],
        id="pvc-bad-claim-name"),
    pytest.param(
        model("""
          model: {source: "pvc://weights/google/gemma-7b-it"}
          server: {engine: jetstream}
          accelerator: {type: tpu-v5e, topology: 2x4}
        """),
        ["specs/m.yaml:6:19: error[check] spec.model.source: engine jetstream cannot load pvc:// "
         "sources (hint: use one of: hf://, gs://)"],
        id="pvc-jetstream"),
    # --- server.volumes
    pytest.param(
        model("""
          server:
            volumes:
              - {name: host, mountPath: /host, hostPath: {path: /var/lib}}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:10:50: error[check] spec.server.volumes[0].hostPath: hostPath volumes "
         "are never allowed: they expose the node's file system to the pod, and GKE Autopilot "
         "refuses writable ones (hint: use a persistentVolumeClaim, configMap or secret)"],
        id="volume-host-path"),
    pytest.param(
        model("""
          server:
            volumes:
              - {name: two, mountPath: /two, configMap: {name: a}, secret: {name: b}}
              - {name: none, mountPath: /none}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:10:9: error[check] spec.server.volumes[0]: volume 'two' needs exactly "
         "one source, not configMap, secret (hint: one of: configMap, secret, "
         "persistentVolumeClaim, emptyDir)",
         "specs/m.yaml:11:9: error[check] spec.server.volumes[1]: volume 'none' needs exactly "
         "one source, not none (hint: one of: configMap, secret, persistentVolumeClaim, "
         "emptyDir)"],
        id="volume-sources"),
    pytest.param(
        model("""
          server:
            volumes:
              - {name: model-cache, mountPath: /config, configMap: {name: a}}
              - {name: data, mountPath: /data/huggingface, configMap: {name: a}}
              - {name: data, mountPath: /, configMap: {name: a}}
              - {name: tmp2, mountPath: /etc/x, configMap: {name: a}}
              - {name: tmp3, mountPath: /etc/x/y, configMap: {name: a}}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:10:16: error[check] spec.server.volumes[0].name: volume name "
         "'model-cache' is one of infergen's own (hint: choose another name)",
         "specs/m.yaml:11:33: error[check] spec.server.volumes[1].mountPath: /data/huggingface "
         "clashes with infergen's mount at /data (hint: mount it elsewhere, for example under "
         "/config)",
         "specs/m.yaml:12:16: error[check] spec.server.volumes[2].name: volume name 'data' is "
         "used twice in server.volumes",
         "specs/m.yaml:12:33: error[check] spec.server.volumes[2].mountPath: / clashes with "
         "infergen's mount at /dev/shm (hint: mount it elsewhere, for example under /config)",
         "specs/m.yaml:13:33: error[check] spec.server.volumes[3].mountPath: /etc/x clashes "
         "with another volume of server.volumes (hint: give each volume a path of its own)",
         "specs/m.yaml:14:33: error[check] spec.server.volumes[4].mountPath: /etc/x/y clashes "
         "with another volume of server.volumes (hint: give each volume a path of its own)"],
        id="volume-clashes"),
    # --- accelerator.parallelism
    pytest.param(
        model("""
          accelerator:
            type: nvidia-l4
            count: 4
            parallelism: {tensor: 2, data: 3}
        """),
        ["specs/m.yaml:11:18: error[check] spec.accelerator.parallelism: tensor 2 x pipeline 1 x "
         "data 3 = 6, but a replica has 4 accelerators (hint: make the product 4, or change "
         "accelerator.count)"],
        id="parallelism-product"),
    pytest.param(
        model("""
          server: {engine: tgi}
          accelerator:
            type: nvidia-l4
            count: 4
            parallelism: {tensor: 2, pipeline: 2}
        """),
        ["specs/m.yaml:12:40: error[check] spec.accelerator.parallelism.pipeline: engine tgi has "
         "no pipeline parallelism (it has: tensor) (hint: remove pipeline, or use an engine "
         "that has it (vllm, sglang))"],
        id="parallelism-tgi-pipeline"),
    pytest.param(
        model("""
          model: {source: hf://org/m, parameters: 70B}
          accelerator:
            type: nvidia-h100-80gb
            count: 4
            parallelism: {tensor: 2, data: 2}
        """),
        ["specs/m.yaml:6:43: error[check] spec.model.parameters: 70B parameters in bfloat16 need "
         "about 168 GB of accelerator memory; each of 2 data-parallel copies on 4x "
         "nvidia-h100-80gb has 160 GB (hint: try 2x nvidia-rtx-pro-6000, 8x nvidia-l4, "
         "4x nvidia-a100-80gb or fp8 (about 84 GB))"],
        id="parallelism-data-memory"),
    pytest.param(
        model("""
          accelerator: {type: nvidia-l4, count: 2}
          server: {args: [--tensor-parallel-size=1]}
        """),
        ["specs/m.yaml:9:19: error[check] spec.server.args[0]: --tensor-parallel-size in "
         "server.args sets what infergen derives (hint: --tensor-parallel-size is set from "
         "spec.accelerator.parallelism; change that field instead)"],
        id="parallelism-in-args"),
    pytest.param(
        model("""
          model: {source: hf://org/m, parameters: 70B}
          accelerator:
            type: nvidia-h100-80gb
            count: 16
            parallelism: {tensor: 8, data: 2}
        """),
        ["specs/m.yaml:10:36: error[check] spec.accelerator.parallelism.data: data parallelism "
         "across the 2 nodes of a group: infergen starts a group as one server spread over "
         "its nodes (--nnodes), serving one copy of the model (hint: use data parallelism "
         "inside one node, or more replicas)"],
        id="parallelism-data-across-nodes"),
    # --- accelerator.driverVersion
    pytest.param(
        model("""
          server: {engine: tei}
          accelerator: {type: none, driverVersion: latest}
        """),
        ["specs/m.yaml:9:44: error[check] spec.accelerator.driverVersion: "
         "accelerator.driverVersion applies to GPUs only, not none (hint: remove it)"],
        id="driver-version-cpu"),
    pytest.param(
        model("""
          accelerator: {type: nvidia-l4, driverVersion: newest}
        """),
        ["specs/m.yaml:8:49: error[schema] spec.accelerator.driverVersion: 'newest' is not one "
         "of: default, latest"],
        id="driver-version-value"),
    # --- adapters loaded at run time
    pytest.param(
        model("""
          model:
            source: hf://org/m
            adapters: [{name: a, source: gs://bucket/a, loading: dynamic}]
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:8:34: error[check] spec.model.adapters[0].source: an adapter loaded at "
         "run time cannot come from gs://: its bucket would be a volume of the pod, and "
         "changing the list would restart the pods (hint: use loading: static for it, or an "
         "hf:// adapter)"],
        id="dynamic-adapter-from-bucket"),
    pytest.param(
        model("""
          model:
            source: hf://org/m
            adapters: [{name: a, source: hf://org/a, loading: lazy}]
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:8:55: error[schema] spec.model.adapters[0].loading: 'lazy' is not one "
         "of: static, dynamic"],
        id="adapter-loading-value"),
    pytest.param(
        model("""
          model:
            source: hf://org/m
            adapters: [{name: a, source: hf://org/a, loading: dynamic}]
          server: {env: {VLLM_ALLOW_RUNTIME_LORA_UPDATING: "false"}}
          accelerator: {type: nvidia-l4}
        """),
        ["specs/m.yaml:9:52: error[check] spec.server.env.VLLM_ALLOW_RUNTIME_LORA_UPDATING: "
         "VLLM_ALLOW_RUNTIME_LORA_UPDATING in server.env sets what infergen derives (hint: "
         "VLLM_ALLOW_RUNTIME_LORA_UPDATING is set from spec.model.adapters (loading); change "
         "that field instead)"],
        id="dynamic-adapter-env"),
    # --- vLLM on CPU nodes
    pytest.param(
        model("""
          model: {source: hf://org/m, parameters: 1B}
          accelerator: {type: none, parallelism: {tensor: 2}}
        """),
        ["specs/m.yaml:7:42: error[check] spec.accelerator.parallelism: accelerator.parallelism "
         "splits a model over GPUs or TPUs; a CPU replica has none (hint: remove it)"],
        id="vllm-cpu-parallelism"),
]


@pytest.mark.parametrize(("text", "errors"), CASES)
def test_refused(text: str, errors: list[str], tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert_fails(render(tmp_path, monkeypatch, {"m.yaml": text}), errors)


def test_driver_version_is_refused_in_a_portable_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    portable = PLATFORM.replace("      clusters: [prod-1]\n",
                                "      clusters: [prod-1]\n      target: kubernetes\n")
    text = model("""
      model: {source: hf://org/m, parameters: 1B}
      accelerator: {type: nvidia-l4, driverVersion: latest}
    """)
    assert_fails(render(tmp_path, monkeypatch, {"m.yaml": text}, platform=portable), [
        "specs/m.yaml:7:49: error[check] spec.accelerator.driverVersion: "
        "accelerator.driverVersion is GKE's node selector: a portable environment (prod) "
        "installs its own drivers (hint: remove it, or set it in spec.environments of the GKE "
        "environments only)"])
