"""Facts in the catalog are complete and consistent with what GKE documents."""

from __future__ import annotations

import pytest

from generator import catalog
from generator.plan.sizing import allocatable

DATA = catalog.load()

# Every row of the GPU table in gke-facts.md, with its memory per GPU.
GKE_GPUS = {"nvidia-tesla-t4": 16, "nvidia-l4": 24, "nvidia-rtx-pro-6000": 96,
            "nvidia-tesla-a100": 40, "nvidia-a100-80gb": 80, "nvidia-h100-80gb": 80,
            "nvidia-h100-mega-80gb": 80, "nvidia-h200-141gb": 141, "nvidia-b200": 180,
            "nvidia-gb200": 186}


def test_every_gke_gpu_is_in_the_catalog_with_its_memory() -> None:
    assert {name: gpu.memory_gb for name, gpu in DATA.gpus.items()} == GKE_GPUS


@pytest.mark.parametrize("name", sorted(GKE_GPUS))
def test_gpu_machine_shapes_are_plausible(name: str) -> None:
    gpu = DATA.gpus[name]
    assert gpu.machines, name
    for machine in gpu.machines:
        cpu, mib = allocatable(machine, DATA)
        assert 0 < cpu < machine.vcpus * 1000
        assert 0 < mib < machine.memory_gb * 1024
    for profile in gpu.mig_profiles:
        assert int(profile.split(".")[1].removesuffix("gb")) <= gpu.memory_gb


def test_allowed_counts_come_from_the_machine_shapes() -> None:
    assert DATA.gpus["nvidia-l4"].counts == [1, 2, 4, 8]
    assert DATA.gpus["nvidia-tesla-t4"].counts == [1, 2, 4]
    assert DATA.gpus["nvidia-h200-141gb"].counts == [8]
    assert DATA.gpus["nvidia-tesla-a100"].counts == [1, 2, 4, 8, 16]


def test_allocatable_follows_gke_reservations() -> None:
    # g2-standard-4: 4 vCPU, 16 GiB. GKE keeps 60+10+10 mCPU and 1+0.8+0.8 GiB plus
    # 100 MiB eviction; infergen leaves 0.5 CPU and 2 GiB for DaemonSets, then rounds down.
    machine = DATA.gpus["nvidia-l4"].smallest_machine(1)
    assert machine is not None and machine.type == "g2-standard-4"
    assert allocatable(machine, DATA) == (3400, 11 * 1024)


def test_every_engine_signal_names_a_metric_type_and_target() -> None:
    for name, engine in DATA.engines.items():
        for metric, signal in engine.load_signals.items():
            assert signal.type in ("gauge", "counter", "histogram"), (name, metric)
            assert signal.target is not None and signal.target > 0, (name, metric)
