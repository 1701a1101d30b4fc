"""The disk a model is downloaded to (model.cache): how big, and what kind of volume.

A Hugging Face download lands on the engine's cache directory. Left on an unsized emptyDir,
a large checkpoint fills the node's boot disk and the kubelet evicts the pod under disk
pressure, so by default the emptyDir is sized from the model (parameters x bytes per
parameter of the checkpoint, plus headroom) and the container requests that much ephemeral
storage (plus slack for HOME, /tmp and logs): the scheduler then only picks a node with the
disk. `{size}` sets the size; `{size, storageClass}` is a disk of its own per pod (a generic
ephemeral volume); `{persistentVolumeClaim}` an existing claim the replicas share.
"""

from __future__ import annotations

import math
from typing import Any

from generator.catalog import Catalog
from generator.plan import model_source
from generator.plan.file_cache import checkpoint_bytes_per_parameter
from generator.plan.memory_fit import billions
from generator.plan.sizing import mebibytes, memory_quantity

GIB = 2**30


def _derived_gib(spec: dict[str, Any], catalog: Catalog) -> int | None:
    """The checkpoint's size plus headroom, in GiB; None without model.parameters."""
    size = billions(spec["model"].get("parameters"))
    if size is None:
        return None
    checkpoint = size * 1e9 * checkpoint_bytes_per_parameter(spec, catalog)
    return math.ceil(checkpoint * (1 + catalog.gke.model_cache.headroom) / GIB)


def size_limit(spec: dict[str, Any], source: model_source.Source | None,
               catalog: Catalog) -> str | None:
    """The cache emptyDir's sizeLimit: the spec's size, else derived for a download; None
    when the cache is not an emptyDir, or its size is unknown."""
    cache = spec["model"].get("cache", {})
    if "storageClass" in cache or "persistentVolumeClaim" in cache:
        return None
    if "size" in cache:
        return str(cache["size"])
    if not isinstance(source, model_source.HuggingFace):
        return None  # nothing is downloaded: the directory holds only small files
    derived = _derived_gib(spec, catalog)
    return None if derived is None else f"{derived}Gi"


def unsized(spec: dict[str, Any], source: model_source.Source | None) -> bool:
    """A download whose disk has no size (model.parameters and model.cache not given)."""
    return isinstance(source, model_source.HuggingFace) and not spec["model"].get("cache") \
        and spec["model"].get("parameters") is None


def ephemeral_storage(spec: dict[str, Any], source: model_source.Source | None,
                      catalog: Catalog) -> str | None:
    """The engine container's ephemeral-storage request (and limit): the emptyDir's size
    plus slack, or only the slack when the cache is a disk of its own; None when unsized."""
    slack = catalog.gke.model_cache.slack_gib * 1024
    cache = spec["model"].get("cache", {})
    if "storageClass" in cache or "persistentVolumeClaim" in cache:
        return memory_quantity(slack)
    limit = size_limit(spec, source, catalog)
    if limit is None:
        return None
    return memory_quantity(math.ceil(mebibytes(limit) or 0) + slack)


def volume(name: str, spec: dict[str, Any], source: model_source.Source | None,
           catalog: Catalog) -> dict[str, Any]:
    """The cache volume, called `name`."""
    cache = spec["model"].get("cache", {})
    if "persistentVolumeClaim" in cache:
        return {"name": name,
                "persistentVolumeClaim": {"claimName": cache["persistentVolumeClaim"]}}
    if "storageClass" in cache:
        return {"name": name, "ephemeral": {"volumeClaimTemplate": {"spec": {
            "accessModes": list(catalog.gke.model_cache.access_modes),
            "storageClassName": cache["storageClass"],
            "resources": {"requests": {"storage": str(cache["size"])}}}}}}
    limit = size_limit(spec, source, catalog)
    return {"name": name, "emptyDir": {} if limit is None else {"sizeLimit": limit}}
