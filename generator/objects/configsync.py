"""What Config Sync needs around the models: Namespaces, each environment root's
kustomization, and the RootSync that points a cluster at its root."""

from __future__ import annotations

from typing import Any

from generator.catalog import Catalog, load
from generator.objects.labels import platform_labels
from generator.plan.records import Environment, Platform

_API = load().kubernetes.api  # catalog/kubernetes.yaml: these two builders take no catalog

def namespace(name: str, platform: Platform) -> dict[str, Any]:
    return {"apiVersion": _API("Namespace"), "kind": "Namespace",
            "metadata": {"name": name, "labels": platform_labels(platform.name)}}


def kustomization(files: list[str]) -> dict[str, Any]:
    return {"apiVersion": _API("Kustomization"), "kind": "Kustomization",
            "resources": sorted(files)}


def rootsync_name(environment: Environment) -> str:
    return f"infergen-{environment.name}"  # environment names are <= 29 chars: <= 38 total


def root_sync(platform: Platform, environment: Environment, catalog: Catalog,
              shard: str | None = None) -> dict[str, Any]:
    """The RootSync of the environment's root, or of one of its shard roots (build.shards)."""
    sync, facts = platform.config_sync, catalog.gke.config_sync
    folder = environment.name if shard is None else f"{environment.name}/{shard}"
    git: dict[str, Any] = {"repo": sync["repo"], "branch": sync["branch"],
                           "dir": f"{sync['dir']}/{folder}", "auth": sync["auth"]}
    if sync["auth"] in ("token", "ssh"):
        git["secretRef"] = {"name": sync.get("secretRef", facts.default_secret)}
    if sync["auth"] == "gcpserviceaccount":
        git["gcpServiceAccountEmail"] = sync["gcpServiceAccountEmail"]
    return {
        "apiVersion": catalog.kubernetes.api("RootSync"), "kind": "RootSync",
        "metadata": {"name": rootsync_name(environment), "namespace": facts.namespace,
                     "labels": platform_labels(platform.name)},
        # unstructured must be explicit: an empty sourceFormat means hierarchy.
        "spec": {"sourceFormat": "unstructured", "sourceType": "git", "git": git},
    }
