"""Rules about where the weights are read from."""

from __future__ import annotations

from collections.abc import Iterator

from generator.catalog import Catalog
from generator.checks.common import STEP
from generator.diagnostics import Diagnostic
from generator.plan import file_cache, model_cache, model_source
from generator.plan.records import Plan


def file_cache_bounded(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """A model read from Cloud Storage gives its size, which bounds the GCS FUSE file cache
    on the node's disk (plan/file_cache.py); without it the cache may fill the disk."""
    if not isinstance(plan.facts.source, model_source.CloudStorage):
        return
    if file_cache.model_cap_mib(plan.spec, catalog) is None:
        yield plan.locate("model", "source").diagnostic(
            STEP, "the GCS FUSE file cache of this gs:// model is unbounded: it may fill "
            "the node's boot disk and get the pod evicted",
            "set spec.model.parameters (e.g. 8B); infergen sizes the cache, its volume and "
            "the node disk it requests from it", "warning")


def cache_choice(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """model.cache is one of {size}, {size, storageClass} or {persistentVolumeClaim}, and a
    download has a sized disk."""
    cache = plan.spec["model"].get("cache", {})
    if "persistentVolumeClaim" in cache:
        for extra in ("size", "storageClass"):
            if extra in cache:
                yield plan.locate("model", "cache", extra).diagnostic(
                    STEP, f"model.cache.{extra} does not apply to an existing claim: the "
                    "claim has its own size and class",
                    "remove it, or remove persistentVolumeClaim for a disk per pod")
    elif "storageClass" in cache and "size" not in cache:
        yield plan.locate("model", "cache", "storageClass").diagnostic(
            STEP, "a per-pod disk (model.cache.storageClass) needs model.cache.size",
            "the checkpoint's size and some headroom, such as 200Gi")
    if model_cache.unsized(plan.spec, plan.facts.source):
        yield plan.locate("model", "source").diagnostic(
            STEP, "the download disk of this hf:// model is unsized: a large checkpoint "
            "fills the node's boot disk and the pod is evicted",
            "set spec.model.parameters (e.g. 8B), from which infergen sizes the disk and "
            "the pod's ephemeral-storage request, or spec.model.cache.size", "warning")
