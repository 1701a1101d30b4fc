"""Every accelerator and capacity rule: GPU counts, GPU sharing, TPU topologies, memory fit,
machine fit and capacity choices, each with its exact diagnostic."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.errorcases import MODEL, assert_fails, render, spec, unsized

# MODEL without its accelerator: the tests add the fields they are about
HEAD = MODEL[:MODEL.index("  accelerator:")]


def model(body: str) -> str:
    """A spec with these fields: they start on line 8, or on line 6 when they give `model`."""
    fields = textwrap.indent(spec(body), "  ")
    if fields.startswith("  model:"):
        return HEAD.removesuffix("  model:\n    source: hf://org/m\n") + fields
    return HEAD + fields


CASES = [
    # --- GPU counts
    pytest.param(
        model("""
          accelerator: {type: nvidia-l4, count: 3}
        """),
        ["specs/m.yaml:8:41: error[check] spec.accelerator.count: 3 is not one of [1, 2, 4, 8] "
         "for nvidia-l4, nor a multiple of 8 (several nodes) (hint: GKE nodes of this type "
         "carry only these GPU counts)"],
        id="gpu-count"),
    pytest.param(
        model("""
          accelerator: {type: nvidia-h200-141gb, count: 12}
        """),
        ["specs/m.yaml:8:49: error[check] spec.accelerator.count: 12 is not one of [8] for "
         "nvidia-h200-141gb, nor a multiple of 8 (several nodes) (hint: GKE nodes of this "
         "type carry only these GPU counts)"],
        id="multi-node-count-not-a-multiple"),
    # --- GPU sharing
    pytest.param(
        model("""
          accelerator:
            type: nvidia-l4
            count: 2
            sharing: {strategy: time-sharing, maxSharedClients: 2}
        """),
        ["specs/m.yaml:10:12: error[check] spec.accelerator.count: a container using "
         "time-sharing may request only 1 GPU, not 2 (hint: GKE's device plugin refuses more; "
         "use sharing only for models that fit one (shared) GPU)"],
        id="time-sharing-two-gpus"),
    pytest.param(
        model("""
          accelerator:
            type: nvidia-l4
            count: 2
            sharing: {strategy: mps, maxSharedClients: 2}
        """),
        ["specs/m.yaml:10:12: error[check] spec.accelerator.count: a container using mps may "
         "request only 1 GPU, not 2 (hint: GKE's device plugin refuses more; use sharing only "
         "for models that fit one (shared) GPU)"],
        id="mps-two-gpus"),
    pytest.param(
        model("""
          accelerator:
            type: nvidia-l4
            sharing: {strategy: time-sharing}
        """),
        ["specs/m.yaml:10:14: error[check] spec.accelerator.sharing: strategy time-sharing "
         "needs sharing.maxSharedClients (hint: the number of containers sharing one GPU, for "
         "example 4)"],
        id="time-sharing-without-clients"),
    pytest.param(
        model("""
          accelerator:
            type: nvidia-l4
            sharing: {strategy: mps, maxSharedClients: 2, partitionSize: 1g.10gb}
        """),
        ["specs/m.yaml:10:66: error[check] spec.accelerator.sharing.partitionSize: "
         "partitionSize applies to mig, not mps"],
        id="mps-with-partition"),
    pytest.param(
        model("""
          accelerator:
            type: nvidia-l4
            sharing: {strategy: mig, partitionSize: 1g.10gb}
        """),
        ["specs/m.yaml:10:25: error[check] spec.accelerator.sharing.strategy: nvidia-l4 has no "
         "MIG partitions (hint: use time-sharing or mps)"],
        id="mig-on-l4"),
    pytest.param(
        model("""
          accelerator:
            type: nvidia-a100-80gb
            sharing: {strategy: mig, partitionSize: 1g.5gb}
        """),
        ["specs/m.yaml:10:45: error[check] spec.accelerator.sharing.partitionSize: 1g.5gb is "
         "not a MIG profile of nvidia-a100-80gb (hint: one of: 1g.10gb, 2g.20gb, 3g.40gb, "
         "7g.80gb)"],
        id="mig-profile-of-another-gpu"),
    pytest.param(
        model("""
          accelerator:
            type: nvidia-a100-80gb
            sharing: {strategy: mig}
        """),
        ["specs/m.yaml:10:14: error[check] spec.accelerator.sharing: strategy mig needs "
         "sharing.partitionSize (hint: one of: 1g.10gb, 2g.20gb, 3g.40gb, 7g.80gb)"],
        id="mig-without-partition"),
    pytest.param(
        model("""
          accelerator:
            type: nvidia-a100-80gb
            sharing: {strategy: mig, partitionSize: 1g.10gb, maxSharedClients: 2}
        """),
        ["specs/m.yaml:10:72: error[check] spec.accelerator.sharing.maxSharedClients: "
         "maxSharedClients applies to time-sharing and mps, not mig (hint: a MIG partition "
         "serves one container)"],
        id="mig-with-clients"),
    pytest.param(
        model("""
          accelerator:
            type: tpu-v5e
            topology: 2x2
            sharing: {strategy: time-sharing, maxSharedClients: 2}
        """),
        ["specs/m.yaml:11:14: error[check] spec.accelerator.sharing: sharing applies to GPUs "
         "only"],
        id="sharing-on-tpu"),
    pytest.param(
        model("""
          accelerator: {type: nvidia-l4, topology: 2x2}
        """),
        ["specs/m.yaml:8:44: error[check] spec.accelerator.topology: accelerator.topology "
         "applies to TPUs only"],
        id="topology-on-gpu"),
    # --- TPUs
    pytest.param(
        model("""
          accelerator: {type: tpu-v6e}
        """),
        ["specs/m.yaml:8:23: error[check] spec.accelerator.type: tpu-v6e needs "
         "accelerator.topology (hint: for example 1x1, 2x2, 2x4)"],
        id="tpu-without-topology"),
    pytest.param(
        model("""
          accelerator: {type: tpu-v5p, topology: 2x4}
        """),
        ["specs/m.yaml:8:42: error[check] spec.accelerator.topology: tpu-v5p topologies have 3 "
         "dimensions, not 2 (hint: for example 2x2x1)"],
        id="tpu-2d-topology-for-3d"),
    pytest.param(
        model("""
          accelerator: {type: tpu-v6e, topology: 3x3}
        """),
        ["specs/m.yaml:8:42: error[check] spec.accelerator.topology: 3x3 is not a tpu-v6e "
         "topology GKE offers (hint: one of: 1x1, 2x2, 2x4, 4x4, 4x8, 8x8, 8x16, 16x16)"],
        id="tpu-unknown-topology"),
    pytest.param(
        model("""
          accelerator: {type: tpu-v6e, topology: 2x4, count: 4}
        """),
        ["specs/m.yaml:8:54: error[check] spec.accelerator.count: 4 chips do not match "
         "topology 2x4 (8 chips) (hint: remove count or set it to 8)"],
        id="tpu-count-mismatch"),
    # --- memory fit
    pytest.param(
        model("""
          model: {source: hf://org/m, parameters: 70B}
          accelerator: {type: nvidia-l4, count: 4}
        """),
        ["specs/m.yaml:6:43: error[check] spec.model.parameters: 70B parameters in bfloat16 "
         "need about 168 GB of accelerator memory; 4x nvidia-l4 has 96 GB (hint: try 2x "
         "nvidia-rtx-pro-6000, 8x nvidia-l4, 4x nvidia-a100-80gb or fp8 (about 84 GB))"],
        id="memory-70b-on-4-l4"),
    pytest.param(
        model("""
          model: {source: hf://org/m, parameters: 8B, memoryReserve: 0.5}
          accelerator:
            type: nvidia-l4
            sharing: {strategy: time-sharing, maxSharedClients: 4}
        """),
        ["specs/m.yaml:6:43: error[check] spec.model.parameters: 8B parameters in bfloat16 need "
         "about 24 GB of accelerator memory; a shared nvidia-l4 has 6 GB (hint: try 1x "
         "nvidia-l4, 2x nvidia-tesla-t4, 1x nvidia-tesla-a100 or int4 (about 6 GB))"],
        id="memory-shared-gpu"),
    pytest.param(
        model("""
          model: {source: hf://org/m, parameters: 70B}
          accelerator: {type: tpu-v5e, topology: 2x4}
        """),
        ["specs/m.yaml:6:43: error[check] spec.model.parameters: 70B parameters in bfloat16 "
         "need about 168 GB of accelerator memory; 8x tpu-v5e has 128 GB (hint: try tpu-v5e "
         "topology 4x4 or fp8 (about 84 GB))"],
        id="memory-tpu"),
    # --- resources that no node can hold
    pytest.param(
        model("""
          accelerator: {type: nvidia-l4}
          server: {resources: {cpu: 64, memory: 32Gi}}
        """),
        ["specs/m.yaml:9:23: error[check] spec.server.resources: cpu 64 and memory 32Gi do not "
         "fit any node with 1x nvidia-l4 (at most cpu 31300m, memory 116Gi) (hint: lower them, "
         "or remove them to derive them)"],
        id="resources-too-large"),
    # --- capacity
    pytest.param(
        model("""
          accelerator: {type: nvidia-l4}
          capacity: {provisioning: [reservation, on-demand]}
        """),
        ["specs/m.yaml:9:28: error[check] spec.capacity.provisioning: provisioning includes "
         "reservation but capacity.reservation is not set (hint: name the Compute Engine "
         "reservation)"],
        id="reservation-unnamed"),
    pytest.param(
        model("""
          accelerator: {type: nvidia-l4}
          capacity: {provisioning: [spot], reservation: r1}
        """),
        ["specs/m.yaml:9:49: error[check] spec.capacity.reservation: capacity.reservation is "
         "set but provisioning does not include reservation"],
        id="reservation-unused"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_accelerator_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                          expected: list[str]) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert_fails(run, expected)


REASONS = {"[spot]": "Spot VMs can be preempted at any time",
           "[flex-start, on-demand]": "Flex Start VMs run at most 7 days"}


@pytest.mark.parametrize(("capacity", "hint"), [
    ("[spot]", "allow maxReplicas of 2 or more, or add on-demand as a fallback"),
    ("[flex-start, on-demand]",
     "allow maxReplicas of 2 or more: a replacement takes minutes to load the model"),
])
def test_single_replica_on_preemptible_capacity_warns(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capacity: str, hint: str) -> None:
    text = model(f"""
      accelerator: {{type: nvidia-l4}}
      capacity: {{provisioning: {capacity}}}
    """)
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr
    # one warning for the line, though both environments deploy the model
    assert run.warnings == [unsized(),
                            f"specs/m.yaml:9:28: warning[check] spec.capacity.provisioning: "
                            f"a single replica on {capacity.strip('[]').split(',')[0]} capacity "
                            f"will go down: {REASONS[capacity]} (hint: {hint})"]
