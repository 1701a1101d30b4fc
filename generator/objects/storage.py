"""Where the weights come from, as volumes: Hugging Face downloads land on the cache volume
(plan/model_cache.py), Cloud Storage buckets are mounted read-only with the GCS FUSE CSI
driver, a PersistentVolumeClaim (pvc://) is mounted read-only, and weights baked into an
image are already in the container."""

from __future__ import annotations

from typing import Any

from generator.catalog import Catalog
from generator.catalog.engine_entry import Engine
from generator.plan import file_cache, model_cache, model_source

SHM_VOLUME = "dshm"
CACHE_VOLUME = "model-cache"
WEIGHTS_VOLUME = "model-weights"
TOKEN_VOLUME = "hf-token"
ADAPTERS_ROOT = "/adapters"


def model_path(source: model_source.Source | None, catalog: Catalog) -> str | None:
    """The local path the engine loads the model from (`source`: the model's, parsed);
    None when it downloads it."""
    if isinstance(source, model_source.CloudStorage):
        return str(catalog.gke.gcs_fuse.mount_path)
    if isinstance(source, model_source.Image):
        return str(catalog.gke.image_model_path)
    if isinstance(source, model_source.Claim):
        mount = catalog.gke.claim_model_path
        return f"{mount}/{source.path}" if source.path else mount
    return None


def repo_id_parent(source: model_source.CloudStorage) -> str:
    return "/".join(source.path.split("/")[:-2])


def adapter_location(adapter: dict[str, str]) -> str:
    """What the engine loads a LoRA adapter from: a Hugging Face repo, or its mount."""
    source = model_source.parse(adapter["source"])
    if isinstance(source, model_source.HuggingFace):
        return source.repo
    return f"{ADAPTERS_ROOT}/{adapter['name']}"


Bucket = tuple[str, str, model_source.CloudStorage]  # volume name, mount path, bucket


def _buckets(spec: dict[str, Any], source: model_source.Source | None,
             catalog: Catalog) -> list[Bucket]:
    """(volume name, mount path, bucket) for the model (`source`, parsed) and every adapter
    in Cloud Storage."""
    found = []
    if isinstance(source, model_source.CloudStorage):
        engine = catalog.engines.get(spec["server"]["engine"])
        if engine is not None and engine.model_dir_layout == "repo-id":
            # the engine finds ORG/NAME under its working dir: mount the folder above them
            source = model_source.CloudStorage(source.bucket, repo_id_parent(source))
        found.append((WEIGHTS_VOLUME, catalog.gke.gcs_fuse.mount_path, source))
    for adapter in spec["model"].get("adapters", []):
        parsed = model_source.parse(adapter["source"])
        if isinstance(parsed, model_source.CloudStorage):
            found.append((f"adapter-{adapter['name']}", adapter_location(adapter), parsed))
    return found


def _cache_caps(spec: dict[str, Any], buckets: list[Bucket],
                catalog: Catalog) -> dict[str, int | None]:
    """Each bucket volume's file-cache cap in MiB (None: unknown, unbounded)."""
    return {name: file_cache.model_cap_mib(spec, catalog) if name == WEIGHTS_VOLUME
            else file_cache.adapter_cap_mib(catalog) for name, _, _ in buckets}


def _gcs_volume(name: str, bucket: model_source.CloudStorage, catalog: Catalog,
                cap: int | None) -> dict[str, Any]:
    gcs_fuse = catalog.gke.gcs_fuse
    cache = gcs_fuse.file_cache
    options = [*gcs_fuse.mount_options,
               f"{cache.size_option}:{cache.unbounded if cap is None else cap}"]
    if bucket.path:
        options.append(f"only-dir:{bucket.path}")  # mount just the model's folder
    return {"name": name, "csi": {"driver": catalog.gke.gcs_fuse.driver, "readOnly": True,
                                  "volumeAttributes": {"bucketName": bucket.bucket,
                                                       "mountOptions": ",".join(options)}}}


def _cache_mib(spec: dict[str, Any], buckets: list[Bucket], catalog: Catalog) -> int | None:
    return file_cache.volume_mib(list(_cache_caps(spec, buckets, catalog).values()), catalog)


def pod_annotations(spec: dict[str, Any], source: model_source.Source | None,
                    catalog: Catalog) -> dict[str, str]:
    buckets = _buckets(spec, source, catalog)
    if not buckets:
        return {}
    found = dict(catalog.gke.gcs_fuse.pod_annotations)
    size = _cache_mib(spec, buckets, catalog)
    if size is not None:  # the node must have the disk for the whole cache
        found[catalog.gke.gcs_fuse.file_cache.request_annotation] = f"{size}Mi"
    return found


def volumes(spec: dict[str, Any], source: model_source.Source | None,
            catalog: Catalog) -> list[dict[str, Any]]:
    # NCCL and PyTorch workers exchange tensors through /dev/shm; the container default
    # of 64 MiB is far too small for tensor parallelism.
    found: list[dict[str, Any]] = [{"name": SHM_VOLUME, "emptyDir": {"medium": "Memory"}},
                                   model_cache.volume(CACHE_VOLUME, spec, source, catalog)]
    buckets = _buckets(spec, source, catalog)
    caps = _cache_caps(spec, buckets, catalog)
    found += [_gcs_volume(name, bucket, catalog, caps[name]) for name, _, bucket in buckets]
    if isinstance(source, model_source.Claim):  # weights on a claim: read-only
        found.append({"name": WEIGHTS_VOLUME, "persistentVolumeClaim": {
            "claimName": source.claim, "readOnly": True}})
    if buckets:  # the GCS FUSE sidecar's file cache: node disk, not memory
        size = _cache_mib(spec, buckets, catalog)
        found.append({"name": catalog.gke.gcs_fuse.cache_volume,
                      "emptyDir": {} if size is None else {"sizeLimit": f"{size}Mi"}})
    return found


def mounts(spec: dict[str, Any], source: model_source.Source | None, catalog: Catalog,
           engine: Engine) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [{"name": SHM_VOLUME, "mountPath": "/dev/shm"},
                                   {"name": CACHE_VOLUME, "mountPath": engine.cache_dir}]
    found += [{"name": name, "mountPath": path, "readOnly": True}
              for name, path, _ in _buckets(spec, source, catalog)]
    if isinstance(source, model_source.Claim):
        found.append({"name": WEIGHTS_VOLUME, "mountPath": catalog.gke.claim_model_path,
                      "readOnly": True})
    if engine.token_file is not None and spec["model"].get("tokenSecret") is not None:
        found.append({"name": TOKEN_VOLUME, "mountPath": engine.token_file, "readOnly": True})
    return found


def token_volume(secret: dict[str, str], engine: Engine) -> list[dict[str, Any]]:
    """For engines that read the Hugging Face token from a file rather than the env."""
    if engine.token_file is None:
        return []
    return [{"name": TOKEN_VOLUME, "secret": {
        "secretName": secret["name"], "defaultMode": 0o400,
        "items": [{"key": secret["key"], "path": engine.token_file_name}]}}]
