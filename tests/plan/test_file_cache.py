"""The GCS FUSE file cache of a gs:// model is sized from the model (parameters x bytes of
the checkpoint read from the bucket, plus headroom): each bucket volume gets a cap, the
cache emptyDir a sizeLimit above their sum and the sidecar an ephemeral-storage request of
as much. A model of unknown size keeps an unbounded cache, with a warning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import catalog
from generator.plan import file_cache
from tests.errorcases import MODEL, render, unsized

GCS_MODEL = MODEL.replace("hf://org/m", "gs://acme-models/llama")


def _spec(parameters: str | None, dtype: str = "bfloat16",
          pre_quantized: bool = False) -> dict[str, Any]:
    model: dict[str, Any] = {"source": "gs://acme-models/m", "dtype": dtype}
    if parameters is not None:
        model["parameters"] = parameters
    if pre_quantized:
        model["preQuantized"] = True
    return {"model": model}


# parameters, dtype, preQuantized -> the model volume's cap in MiB
CAPS = [
    ("8B", "bfloat16", False, 16785),    # 16 GB of weights + 10%
    ("8B", "float32", False, 33570),
    ("70B", "fp8", False, 146866),       # quantized at load: the bucket holds bf16
    ("70B", "int4", False, 146866),
    ("70B", "int4", True, 36717),        # a pre-quantized checkpoint: 0.5 byte each
    ("100M", "bfloat16", False, 1024),   # never below the minimum
    (None, "bfloat16", False, None),     # unknown size: unbounded
]


@pytest.mark.parametrize(("parameters", "dtype", "pre_quantized", "mib"), CAPS)
def test_the_model_volume_is_capped_at_its_checkpoint(
        parameters: str | None, dtype: str, pre_quantized: bool, mib: int | None) -> None:
    assert file_cache.model_cap_mib(_spec(parameters, dtype, pre_quantized),
                                    catalog.load()) == mib


@pytest.mark.parametrize(("caps", "mib"), [
    ([16785, 4096], 16785 + 4096 + 1024),
    ([4096], 4096 + 1024),
    ([None, 4096], None),
    ([], None),
])
def test_the_cache_volume_holds_every_cap_and_some_slack(
        caps: list[int | None], mib: int | None) -> None:
    assert file_cache.volume_mib(caps, catalog.load()) == mib


def _pod(run_folder: Path) -> dict[str, Any]:
    """The dev Deployment's pod template (the model's only Deployment there)."""
    (path,) = (run_folder / "rendered" / "dev").rglob("deployment.yaml")
    return dict(yaml.safe_load(path.read_text())["spec"]["template"])


def _cache(pod: dict[str, Any]) -> tuple[list[str], dict[str, Any], str | None]:
    """Each bucket volume's file-cache option, the cache emptyDir, the request annotation."""
    volumes = pod["spec"]["volumes"]
    options = [opt for v in volumes if "csi" in v
               for opt in v["csi"]["volumeAttributes"]["mountOptions"].split(",")
               if opt.startswith("file-cache:max-size-mb:")]
    cache = next(v["emptyDir"] for v in volumes if v["name"] == "gke-gcsfuse-cache")
    return options, cache, pod["metadata"]["annotations"].get(
        "gke-gcsfuse/ephemeral-storage-request")


def test_a_sized_model_bounds_its_cache(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    spec = GCS_MODEL.replace("    source: gs://acme-models/llama\n",
                             "    source: gs://acme-models/llama\n    parameters: 8B\n"
                             "    adapters: [{name: sql, source: gs://acme-models/sql}]\n")
    run = render(tmp_path, monkeypatch, {"m.yaml": spec})
    assert run.exit_code == 0 and run.warnings == [], run.stderr
    options, cache, request = _cache(_pod(tmp_path))
    assert options == ["file-cache:max-size-mb:16785", "file-cache:max-size-mb:4096"]
    assert cache == {"sizeLimit": "21905Mi"} and request == "21905Mi"


def test_a_model_of_unknown_size_keeps_an_unbounded_cache_with_a_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": GCS_MODEL})
    assert run.exit_code == 0, run.stderr
    assert run.warnings == [
        "specs/m.yaml:7:13: warning[check] spec.model.source: the GCS FUSE file cache of this "
        "gs:// model is unbounded: it may fill the node's boot disk and get the pod evicted "
        "(hint: set spec.model.parameters (e.g. 8B); infergen sizes the cache, its volume and "
        "the node disk it requests from it)"]
    options, cache, request = _cache(_pod(tmp_path))
    assert options == ["file-cache:max-size-mb:-1"] and cache == {} and request is None


def test_a_hugging_face_model_gets_no_file_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL})
    # only the download disk's warning (checks.storage.cache_choice), none of the file cache
    assert run.exit_code == 0 and run.warnings == [unsized()], run.stderr
    volumes = _pod(tmp_path)["spec"]["volumes"]
    assert not any(v["name"] == "gke-gcsfuse-cache" for v in volumes)
