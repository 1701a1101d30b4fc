"""The objects that make an environment's shard roots (output/sharding.py) reachable and safe: a
RootSync per shard in the platform root, so the cluster's bootstrap RootSync brings the
shards along and no cluster needs a new bootstrap step, and a marker in each shard, so a
shard root is never empty (Config Sync deletes everything it synced from an empty root)."""

from __future__ import annotations

from typing import Any

from generator.catalog import Catalog
from generator.objects.configsync import root_sync
from generator.objects.labels import platform_labels
from generator.plan.records import Environment, Platform


def rootsync_name(shard: str) -> str:
    """`infergen-shard-001`: a cluster syncs one environment, so the shard's number is
    unique there (no environment may be named like a shard: sharding.shard_number), and the
    name stays under Config Sync's 38 characters for a RootSync."""
    return f"infergen-{shard.removeprefix('_')}"


def shard_root_sync(platform: Platform, env: Environment, shard: str,
                    catalog: Catalog) -> dict[str, Any]:
    obj = root_sync(platform, env, catalog, shard)
    annotations = dict(catalog.gke.config_sync.deletion_propagation_annotation)
    obj["metadata"] = {**obj["metadata"], "name": rootsync_name(shard),
                       "annotations": annotations}
    return obj


def marker(platform: Platform, env: Environment, shard: str,
           catalog: Catalog) -> dict[str, Any]:
    return {"apiVersion": catalog.kubernetes.api("ConfigMap"), "kind": "ConfigMap",
            "metadata": {"name": rootsync_name(shard),
                         "namespace": catalog.gke.config_sync.marker_namespace,
                         "labels": platform_labels(platform.name)},
            "data": {"environment": env.name, "root": shard,
                     "purpose": "keeps this Config Sync root from ever being empty"}}


def objects(platform: Platform, env: Environment, shard: str,
            catalog: Catalog) -> list[tuple[str, dict[str, Any]]]:
    """The shard's RootSync (in the platform root, in the folder of its namespace) and its
    marker (in the shard), each at its path."""
    name = rootsync_name(shard)
    namespace = catalog.gke.config_sync.namespace
    return [(f"{env.name}/{namespace}/rootsync-{name}.yaml",
             shard_root_sync(platform, env, shard, catalog)),
            (f"{env.name}/{shard}/configmap-{name}.yaml", marker(platform, env, shard, catalog))]
