"""Every image infergen renders is pinned to a release: no floating tag (`latest`, a nightly)
and no bare commit hash, which names a build nobody released (the vLLM TPU image was one
until it moved to the release tag Google's GKE sample builds on)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from generator import catalog

FLOATING = re.compile(r"^(latest|nightly.*|[0-9a-f]{40})$")


def _images() -> Iterator[tuple[str, str]]:
    cat = catalog.load()
    for name, engine in cat.engines.items():
        if engine.frontend is not None:
            yield f"{name} frontend", engine.frontend.image
        if engine.pathways is not None:
            for part in ("proxy", "resource_manager", "worker"):
                yield f"{name} pathways {part}", getattr(engine.pathways, part).image
        for where, facts in [("", engine), *((f" {v}", f) for v, f in engine.variants.items())]:
            if facts.image is not None:
                yield f"{name}{where}", facts.image
    yield "endpoint picker", cat.gke.inference_gateway.endpoint_picker.image
    yield "LoRA syncer", cat.gke.lora_syncer.image


def _tag(image: str) -> str | None:
    """The tag of an image reference; None when it has none (a versioned image name)."""
    name = image.rsplit("/", 1)[-1]
    return name.split(":", 1)[1] if ":" in name else None


# An image without a tag names its release in its name (a Deep Learning Container:
# huggingface-text-generation-inference-cu124.2-4...), or is pinned by digest.
VERSIONED_NAME = re.compile(r"[a-z]\d+\.\d+-\d+\.")


@pytest.mark.parametrize(("owner", "image"), list(_images()))
def test_no_image_floats_or_names_an_unreleased_build(owner: str, image: str) -> None:
    tag = _tag(image)
    assert tag is None or not FLOATING.match(tag), f"{owner}: {image}"
    assert tag is not None or "@sha256:" in image or VERSIONED_NAME.search(image), \
        f"{owner}: {image} has neither a tag, a digest nor a version in its name"


@pytest.mark.parametrize(("image", "pinned"), [
    ("us-docker.pkg.dev/p/r/huggingface-text-generation-inference-cu124.2-4.ubuntu2204.py311",
     True),
    ("vllm/vllm-openai", False),
    ("us-docker.pkg.dev/p/r/huggingface-text-generation-inference", False),
])
def test_an_untagged_image_must_name_its_version(image: str, pinned: bool) -> None:
    assert bool(VERSIONED_NAME.search(image)) is pinned


@pytest.mark.parametrize(("image", "floats"), [
    ("vllm/vllm-tpu:73aa7041bfee43581314e6f34e9a657137ecc092", True),
    ("vllm/vllm-tpu:nightly-20260701-6af3d12-9969466", True),
    ("vllm/vllm-tpu:latest", True),
    ("vllm/vllm-tpu:v0.21.0", False),
    ("us-docker.pkg.dev/p/r/huggingface-text-generation-inference-cu124.2-4.ubuntu2204.py311",
     False),
])
def test_the_rule_tells_a_release_from_a_floating_or_unreleased_tag(
        image: str, floats: bool) -> None:
    tag = _tag(image)
    assert (tag is not None and bool(FLOATING.match(tag))) is floats


def test_vllm_on_tpu_runs_a_release() -> None:
    image = catalog.load().engines["vllm"].variants["tpu"].image
    assert image is not None
    assert re.fullmatch(r"vllm/vllm-tpu:v\d+\.\d+\.\d+", image)
