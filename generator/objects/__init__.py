"""Step 5: turn plans into Kubernetes objects, each placed at its path in the tree (the
tree's layout is output/layout.py; which root a model goes to is output/sharding.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from generator.catalog import Catalog
from generator.objects import (
    alerts,
    configsync,
    dashboards,
    fleet,
    gcp,
    lora_syncer,
    monitoring,
    network,
    pathways,
    placement,
    routing,
    scaling,
    shards,
    tenancy,
    workload,
)
from generator.output.layout import BOOTSTRAP, DASHBOARDS, Deferred, Rendered
from generator.output.sharding import split_path
from generator.plan.records import Environment, Plan, Platform

Builder = Callable[[Plan, Catalog], dict[str, Any] | None]

# Everything a model renders to, in the order a reader meets it.
MODEL_BUILDERS: tuple[Builder, ...] = (
    workload.service_account,
    workload.deployment,
    workload.leader_worker_set,
    pathways.leader_worker_set,
    workload.service,
    lora_syncer.config_map,
    network.network_policy,
    scaling.horizontal_pod_autoscaler,
    scaling.scaled_object,
    scaling.pod_disruption_budget,
    monitoring.pod_monitoring,
    monitoring.pod_monitor,
    alerts.managed_rules,
    alerts.prometheus_rule,
    routing.inference_pool,
    routing.health_check_policy,
    routing.gcp_backend_policy,
    routing.http_route,
    routing.endpoint_picker_service_account,
    routing.endpoint_picker_role,
    routing.endpoint_picker_role_binding,
    routing.endpoint_picker_config,
    routing.endpoint_picker_deployment,
    routing.endpoint_picker_service,
    network.endpoint_picker_network_policy,
)


def compute_class(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    return placement.compute_class(plan, plan.facts.checked_shape, catalog)


# Cluster-scoped objects several models may ask for: written once per environment, naming
# every spec that uses them.
SHARED_BUILDERS: tuple[Builder, ...] = (compute_class, monitoring.dcgm_pod_monitoring)


def shared_objects(plan: Plan, catalog: Catalog) -> list[tuple[str, dict[str, Any]]]:
    """The shared objects one plan asks for, each at its path."""
    found = []
    for build_shared in SHARED_BUILDERS:
        obj = build_shared(plan, catalog)
        if obj is None:
            continue
        namespace = obj["metadata"].get("namespace")
        folder = f"{namespace}/_shared" if namespace else "cluster"
        found.append((f"{plan.environment.name}/{folder}/"
                      f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml", obj))
    return found


def merge_shared(
        asked: Iterable[tuple[str, list[tuple[str, dict[str, Any]]]]]) -> list[Rendered]:
    """One object per path from (spec, its plan's shared objects), naming every user."""
    found: dict[str, tuple[dict[str, Any], set[str]]] = {}
    for rel, objects in asked:
        for path, obj in objects:
            known, users = found.setdefault(path, (obj, set()))
            if known != obj:
                raise AssertionError(f"two different objects for {path}")
            users.add(rel)
    return [Rendered(path, obj, tuple(sorted(users)))
            for path, (obj, users) in sorted(found.items())]


def model_objects(plan: Plan, catalog: Catalog) -> list[Rendered]:
    folder = f"{plan.environment.name}/{plan.namespace}/{plan.name}"
    rendered = []
    for build_object in MODEL_BUILDERS:
        obj = build_object(plan, catalog)
        if obj is None:
            continue
        obj = fleet.select(obj, plan, catalog)
        # <kind>.yaml for the model's own objects, <kind>-<name>.yaml for helpers beside it
        name = obj["metadata"]["name"]
        suffix = "" if name == plan.name else f"-{name.removeprefix(plan.name + '-')}"
        rendered.append(Rendered(f"{folder}/{obj['kind'].lower()}{suffix}.yaml", obj,
                                 (plan.rel,)))
    return rendered


@dataclass(frozen=True)
class Member:
    """What the platform-wide objects need to know of one plan."""

    environment: str
    namespace: str
    name: str
    rel: str
    charts: str | None  # dashboards.charts_of, as JSON text (decoded only to build one)


def platform_objects(platform: Platform, members: list[Member], earlier: dict[str, list[str]],
                     catalog: Catalog,
                     shards_of: dict[str, list[str]] | None = None,
                     tenants_of: dict[str, list[str]] | None = None) -> list[Rendered]:
    """Namespaces, kustomizations and RootSyncs, after the `earlier` files (every
    model's and shared object's, by root folder, in order: roots.files_by_root), for the
    members in build order; `shards_of` names each
    environment's shard roots (output/sharding.py), if it has any, and `tenants_of` the
    namespaces that have a root and a RepoSync of their own (tenancy: namespace)."""
    rendered: list[Rendered] = []
    by_root = {root: list(files) for root, files in earlier.items()}
    platform_rel = platform.source.rel
    for env in platform.environments:
        files = by_root.setdefault(env.name, [])
        for shard in (shards_of or {}).get(env.name, []):
            for path, obj in shards.objects(platform, env, shard, catalog):
                rendered.append(Rendered(path, obj, (platform_rel,)))
                root, rest = split_path(path)
                by_root.setdefault(root, []).append(rest)
            shard_files = by_root.setdefault(f"{env.name}/{shard}", [])
            rendered.append(Rendered(f"{env.name}/{shard}/kustomization.yaml",
                                     configsync.kustomization(list(shard_files)),
                                     (platform_rel,)))
        tenants = (tenants_of or {}).get(env.name, [])
        for path, obj in tenancy.objects(platform, env, tenants, catalog) if tenants else []:
            rendered.append(Rendered(path, obj, (platform_rel,)))
            root, rest = split_path(path)
            by_root.setdefault(root, []).append(rest)
        for namespace in tenants:
            listed = by_root.setdefault(f"{env.name}/_ns-{namespace}", [])
            rendered.append(Rendered(f"{env.name}/_ns-{namespace}/kustomization.yaml",
                                     configsync.kustomization(list(listed)), (platform_rel,)))
        in_env = [m for m in members if m.environment == env.name]
        by_namespace: dict[str, set[str]] = {}  # one pass: 10,000 members, dozens of namespaces
        for m in in_env:
            by_namespace.setdefault(m.namespace, set()).add(m.rel)
        for ns in sorted(by_namespace):
            users = tuple(sorted(by_namespace[ns]))
            rendered.append(Rendered(f"{env.name}/namespaces/{ns}.yaml",
                                     configsync.namespace(ns, platform), users))
            files.append(f"namespaces/{ns}.yaml")
        if env.gcp_project is not None:
            users = tuple(sorted({m.rel for m in in_env} | {platform_rel}))
            for path, obj in gcp.objects(env, platform, _rows(in_env), catalog):
                rendered.append(Rendered(path, obj, users))
                files.append(path.removeprefix(f"{env.name}/"))
        rendered.append(Rendered(f"{env.name}/kustomization.yaml",
                                 configsync.kustomization(list(files)), (platform_rel,)))
        files.append("kustomization.yaml")
        for cluster in env.clusters:
            rendered.append(Rendered(f"{BOOTSTRAP}/{cluster}.yaml",
                                     configsync.root_sync(platform, env, catalog), (platform_rel,)))
    return rendered


def dashboard_items(platform: Platform, members: list[Member],
                    catalog: Catalog) -> list[Deferred]:
    """Each environment's two dashboards (objects/dashboards.py), built only if their text is
    needed (output/layout.py Deferred), named by their inputs: the members' rows."""
    found = []
    for env in platform.environments:
        in_env = [m for m in members if m.environment == env.name]
        if env.gcp_project is not None or not dashboards.shown(env, [m.charts for m in in_env]):
            continue  # with Config Connector, synced from the root (objects/gcp.py)
        sources = tuple(sorted({m.rel for m in in_env}))
        inputs = dashboards.key_of(env, platform.name, sources,
                                   [(m.namespace, m.name, m.charts) for m in in_env])
        for board in dashboards.BOARDS:
            suffix = "" if board == "models" else f".{board}"
            found.append(Deferred(f"{DASHBOARDS}/{env.name}{suffix}.yaml", sources,
                                  f"{inputs}:{board}",
                                  partial(_dashboard, env, platform.name, in_env, catalog,
                                          board)))
    return found


def _rows(members: list[Member]) -> list[dashboards.Row]:
    return [(m.namespace, m.name, None if m.charts is None else json.loads(m.charts))
            for m in members]


def _dashboard(env: Environment, platform_name: str, members: list[Member], catalog: Catalog,
               board: str) -> dict[str, Any]:
    built = dashboards.dashboard_of(env, platform_name, _rows(members), catalog, board)
    assert built is not None, "dashboard_items builds only the dashboards shown"
    return built
