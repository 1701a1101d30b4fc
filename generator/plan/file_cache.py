"""How much node disk the GCS FUSE file cache of a model's pod may take, from the model's size.

gcsfuse keeps a copy of every file it reads from a bucket mount in its file cache, which
infergen puts on the pod's `gke-gcsfuse-cache` emptyDir (node boot disk). Left unbounded
(`file-cache:max-size-mb:-1`), a large checkpoint fills the boot disk and the kubelet evicts
pods under disk pressure. So each bucket volume is capped at what it holds (the checkpoint,
or an adapter), the emptyDir gets a sizeLimit above the sum, and the sidecar requests that
much ephemeral storage, so the scheduler only picks a node with the disk for it. The cache
volume must be larger than the caps it holds (gcs-fuse-csi-driver docs/troubleshooting.md,
"No space left on device for file cache").
"""

from __future__ import annotations

import math
from typing import Any

from generator.catalog import Catalog
from generator.plan.memory_fit import billions

MIB = 2**20


def checkpoint_bytes_per_parameter(spec: dict[str, Any], catalog: Catalog) -> float:
    """What one parameter takes in the checkpoint read from the bucket: the dtype's own
    size, except for a quantized dtype the engine applies at load, which reads a 16-bit
    checkpoint (model.preQuantized says the checkpoint is already quantized)."""
    model = spec["model"]
    unquantized = float(catalog.gke.gcs_fuse.file_cache.unquantized_checkpoint_bytes)
    size = float(catalog.dtype_bytes[model["dtype"]])
    if size < unquantized and not model.get("preQuantized"):
        return unquantized
    return size


def model_cap_mib(spec: dict[str, Any], catalog: Catalog) -> int | None:
    """The cap of the model's bucket volume; None when spec.model.parameters is not given
    (the size is unknown, and the cache stays unbounded)."""
    size = billions(spec["model"].get("parameters"))
    if size is None:
        return None
    cache = catalog.gke.gcs_fuse.file_cache
    checkpoint = size * 1e9 * checkpoint_bytes_per_parameter(spec, catalog)
    return max(cache.minimum_mib, math.ceil(checkpoint * (1 + cache.headroom) / MIB))


def adapter_cap_mib(catalog: Catalog) -> int:
    return catalog.gke.gcs_fuse.file_cache.adapter_mib


def volume_mib(caps: list[int | None], catalog: Catalog) -> int | None:
    """The cache emptyDir's size (and the sidecar's ephemeral-storage request): the caps of
    the bucket volumes sharing it and some slack; None while any cap is unknown."""
    if not caps or any(cap is None for cap in caps):
        return None
    return sum(cap for cap in caps if cap is not None) \
        + catalog.gke.gcs_fuse.file_cache.slack_mib
