"""Rules about where the weights are read from."""

from __future__ import annotations

from collections.abc import Iterator

from generator.catalog import Catalog
from generator.checks.common import STEP
from generator.diagnostics import Diagnostic
from generator.plan import file_cache, model_source
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
