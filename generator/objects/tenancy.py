"""tenancy: namespace (sharding.place_by_namespace): each namespace's models are synced by a
RepoSync of that namespace from its own root, `<env>/_ns-<namespace>/`. The environment's
root declares, per namespace, the RepoSync and the RoleBinding that lets its reconciler
manage what models render there (one ClusterRole, bound in each namespace only)."""

from __future__ import annotations

from typing import Any

from generator.catalog import Catalog
from generator.objects.configsync import root_sync
from generator.objects.labels import platform_labels
from generator.plan.records import Environment, Platform

CLUSTER_ROLE = "infergen-namespace-reconciler"


def cluster_role(platform: Platform, catalog: Catalog) -> dict[str, Any]:
    facts = catalog.gke.config_sync
    groups: dict[str, list[str]] = {}
    for group, resource in facts.tenant_kinds.values():
        groups.setdefault(group, []).append(resource)
    rules = [{"apiGroups": [group], "resources": sorted(resources),
              "verbs": list(facts.tenant_verbs)} for group, resources in sorted(groups.items())]
    reads = {**facts.tenant_reads,
             **catalog.gke.inference_gateway.endpoint_picker.reads}
    rules += [{"apiGroups": [group], "resources": sorted(resources),
               "verbs": list(facts.tenant_read_verbs)}
              for group, resources in sorted(reads.items())]
    return {"apiVersion": catalog.kubernetes.api("ClusterRole"), "kind": "ClusterRole",
            "metadata": {"name": CLUSTER_ROLE, "labels": platform_labels(platform.name)},
            "rules": rules}


def repo_sync(platform: Platform, env: Environment, namespace: str,
              catalog: Catalog) -> dict[str, Any]:
    """Like the environment's RootSync, for the namespace's root and in the namespace (a
    Git Secret, with auth token or ssh, must then be in the namespace too)."""
    facts = catalog.gke.config_sync.repo_sync
    obj = root_sync(platform, env, catalog, f"_ns-{namespace}")
    obj["apiVersion"], obj["kind"] = catalog.kubernetes.api("RepoSync"), "RepoSync"
    obj["metadata"] = {**obj["metadata"], "name": facts.name, "namespace": namespace}
    return obj


def role_binding(platform: Platform, namespace: str, catalog: Catalog) -> dict[str, Any]:
    facts = catalog.gke.config_sync
    return {"apiVersion": catalog.kubernetes.api("RoleBinding"), "kind": "RoleBinding",
            "metadata": {"name": CLUSTER_ROLE, "namespace": namespace,
                         "labels": platform_labels(platform.name)},
            "subjects": [{"kind": "ServiceAccount",
                          "name": facts.repo_sync.reconciler_prefix + namespace,
                          "namespace": facts.namespace}],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": CLUSTER_ROLE}}


def objects(platform: Platform, env: Environment, namespaces: list[str],
            catalog: Catalog) -> list[tuple[str, dict[str, Any]]]:
    """The ClusterRole, then each namespace's RepoSync and RoleBinding, at their paths in
    the environment's root."""
    found = [(f"{env.name}/cluster/clusterrole-{CLUSTER_ROLE}.yaml",
              cluster_role(platform, catalog))]
    for namespace in namespaces:
        found += [(f"{env.name}/{namespace}/_sync/reposync.yaml",
                   repo_sync(platform, env, namespace, catalog)),
                  (f"{env.name}/{namespace}/_sync/rolebinding.yaml",
                   role_binding(platform, namespace, catalog))]
    return found
