"""Every GKE-only field of the catalog's table (kubernetes.yaml gkeOnly) is refused on a
plain Kubernetes target, pointed at its own line, and accepted on GKE."""

from __future__ import annotations

import pytest

from generator import catalog
from generator.checks import check_plan
from tests.errorcases import MODEL, PLATFORM
from tests.plan.test_resolve import plans

PORTABLE = PLATFORM.replace("      clusters: [prod-1]\n",
                            "      clusters: [prod-1]\n      target: kubernetes\n")

# (what the spec adds or changes, the field reported, the start of the feature's name)
GKE_ONLY = [
    ("  capacity:\n    provisioning: [spot]\n", "spec.capacity.provisioning", "capacity spot ("),
    ("@tpu", "spec.accelerator.type", "Cloud TPUs"),
    ("  accelerator:\n    type: nvidia-l4\n    sharing: {strategy: time-sharing, clients: 2}\n",
     "spec.accelerator.sharing", "GKE's GPU sharing"),
    ("@gcs", "spec.model.source", "gs:// sources"),
    ("  identity:\n    gcpServiceAccount: m@p.iam.gserviceaccount.com\n",
     "spec.identity.gcpServiceAccount", "Workload Identity"),
    ("  routing:\n    inferenceGateway: true\n", "spec.routing.inferenceGateway",
     "GKE Inference Gateway"),
    ("  scaling:\n    metric: gpu-utilization\n    maxReplicas: 2\n", "spec.scaling.metric",
     "gpu-utilization ("),
]


def _model(change: str) -> str:
    if change == "@tpu":
        return MODEL.replace("type: nvidia-l4", "type: tpu-v5e\n    topology: 2x2")
    if change == "@gcs":
        return MODEL.replace("hf://org/m", "gs://bucket/m")
    if change.startswith("  accelerator:"):
        return MODEL.replace("  accelerator:\n    type: nvidia-l4\n", change)
    return MODEL + change


def _gke_only(text: str, environment: str) -> list[tuple[str, str]]:
    plan = plans(PORTABLE, text)[environment]
    return [(d.path, d.message) for d in check_plan(plan, catalog.load())
            if "GKE-only" in d.message]


def test_the_table_covers_every_row() -> None:
    assert [".".join(("spec", *f.path)) for f in catalog.load().kubernetes.gke_only] \
        == [path for _, path, _ in GKE_ONLY]


@pytest.mark.parametrize(("change", "path", "feature"), GKE_ONLY,
                         ids=[p for _, p, _ in GKE_ONLY])
def test_a_gke_only_field_is_refused_on_plain_kubernetes(change: str, path: str,
                                                         feature: str) -> None:
    found = _gke_only(_model(change), "prod")
    assert [p for p, _ in found] == [path]
    assert found[0][1].startswith(feature)
    assert found[0][1].endswith("is GKE-only, but environment prod targets plain Kubernetes")
    assert _gke_only(_model(change), "dev") == []  # GKE


def test_a_portable_spec_passes() -> None:
    assert _gke_only(MODEL, "prod") == []
