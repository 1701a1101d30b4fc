"""Fleet rules: which clusters of an environment a model runs on, roots that would become
empty (Config Sync deletes what it synced from them), and what sharding an environment
into roots under a budget cannot solve alone. One function per rule; each returns
diagnostics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator

from generator.catalog import Catalog
from generator.checks.common import STEP
from generator.diagnostics import Diagnostic, Location, Severity, did_you_mean
from generator.output.layout import RESERVED_FOLDERS
from generator.output.sharding import (
    PLATFORM_ROOT,
    TENANCY_NAMESPACE,
    Budget,
    Layout,
    Previous,
    folder,
    shard_number,
    split_path,
    tenant_root,
)
from generator.plan.records import Environment, Plan, Platform
from generator.plan.target import selected_clusters

EMPTY_HINT = "Config Sync removes everything it synced from an empty root"


def cluster_selection(plan: Plan) -> Iterator[Diagnostic]:
    """spec.clusters names clusters of every environment the model deploys to."""
    env = plan.environment
    for index, cluster in enumerate(plan.source.document.data["spec"].get("clusters", [])):
        if cluster in env.clusters:
            continue
        owner = next((e.name for e in plan.platform.environments if cluster in e.clusters), None)
        hint = (f"it is a cluster of environment {owner!r}: set deployTo to the environments "
                "whose clusters you name" if owner else did_you_mean(cluster, env.clusters))
        yield plan.source.document.locate(("spec", "clusters", index)).diagnostic(
            STEP, f"cluster {cluster!r} is not a cluster of environment {env.name!r} (known: "
            + ", ".join(env.clusters) + ")", hint)


def allow_empty_names(platform: Platform, allowed: Collection[str]) -> Iterator[Diagnostic]:
    """--allow-empty names environments of the Platform."""
    known = [e.name for e in platform.environments]
    for name in sorted(set(allowed) - set(known)):
        yield platform.source.document.locate(("spec", "environments")).diagnostic(
            STEP, f"--allow-empty {name}: no such environment (known: " + ", ".join(known)
            + ")", did_you_mean(name, known))


# Where a plan runs: its environment's name and its selected clusters (None for all).
Placed = tuple[str, tuple[str, ...] | None]


def placed(plan: Plan) -> Placed:
    return plan.environment.name, selected_clusters(plan)


def empty_roots(platform: Platform, plans: list[Placed], out: str,
                allowed: Collection[str] | None,
                previous: dict[str, Previous]) -> Iterator[Diagnostic]:
    """An environment, or a cluster of it, left without models. Fine where the Platform
    says `allowEmpty` (unless the root held models: Config Sync would delete them); a
    warning when only validating (`allowed` is None), for an environment never rendered, or
    one `--allow-empty` names; else an error."""
    for env in platform.environments:
        in_env = [clusters for name, clusters in plans if name == env.name]
        before = previous.get(env.name, Previous())
        severity: Severity | None
        if env.allow_empty and not before.models:
            severity, hint = None, ""
        elif allowed is None or env.name in allowed:
            severity, hint = "warning", EMPTY_HINT
        elif not before.rendered:
            severity, hint = "warning", (
                "nothing is synced to its clusters until a model deploys there; set "
                f"allowEmpty: true on environment {env.name!r} if that is intended")
        else:
            severity, hint = "error", (
                f"Config Sync would delete everything it synced from {out}/{env.name}; add a "
                f"model, or render with --allow-empty {env.name} if that is what you want")
        if not in_env:
            if severity is not None:
                yield env.location.diagnostic(STEP, f"environment {env.name!r} has no models",
                                              hint, severity)
            continue
        covered: set[str] = set()
        for clusters in in_env:
            covered.update(clusters or env.clusters)
        for cluster in env.clusters:
            if cluster not in covered and severity is not None:
                yield env.location.diagnostic(
                    STEP, f"cluster {cluster!r} of environment {env.name!r} has no models: "
                    "every model there selects other clusters (spec.clusters)", hint, severity)


def root_counts(rendered: Iterable[tuple[str, object]],
                counted: Iterable[tuple[str, int]] = ()) -> dict[str, int]:
    """Objects per Config Sync root (its folder), from the (path, kind) of every rendered
    object, plus objects `counted` already: (root folder, how many); the kustomizations and
    the folders beside the roots are not synced objects."""
    counts = Counter(split_path(path)[0] for path, kind in rendered
                     if kind != "Kustomization" and path.split("/", 1)[0] not in RESERVED_FOLDERS)
    for root, count in counted:
        counts[root] += count
    return dict(sorted((root, count) for root, count in counts.items() if count))


MOVE_HINT = ("infergen never moves a model silently: Config Sync deletes and recreates what "
             "moves between roots in one commit. Run `infergen render --move` and commit (the "
             "models stay where they are, unmanaged); once every cluster has synced that "
             "commit, run `infergen render --complete-moves` and commit")


def _tenancy(env: Environment, layout: Layout, budget: Budget, out: str,
             catalog: Catalog) -> Iterator[Diagnostic]:
    """tenancy: namespace: a namespace larger than a root, and the moves of an environment
    switching to it."""
    # a namespace too long for its RepoSync is refused at the spec (operations.derived_names)
    for namespace in layout.too_large:
        yield env.location.diagnostic(
            STEP, f"namespace {namespace!r} renders {layout.counts[tenant_root(namespace)]} "
            f"objects in environment {env.name!r}: a single namespace is larger than a Config "
            f"Sync root ({budget.limit} objects)", "with tenancy: namespace a namespace is "
            "never split across roots: split its models across namespaces, raise "
            "Platform.spec.configSync.maxObjectsPerRoot, or use tenancy: root")
    if layout.plan:
        yield env.location.diagnostic(
            STEP, f"environment {env.name!r} moves {len(layout.plan)} models to their "
            "namespace's root (tenancy: namespace): " + ", ".join(
                f"{m.model} to {out}/{folder(env.name, m.target)}" for m in layout.plan),
            MOVE_HINT)
    if PLATFORM_ROOT in layout.over:
        yield env.location.diagnostic(
            STEP, f"the platform root {out}/{env.name} holds {layout.counts[PLATFORM_ROOT]} "
            f"objects of its own (Namespaces, shared objects, RepoSyncs), more than the "
            f"budget of {budget.limit}", "raise Platform.spec.configSync.maxObjectsPerRoot")


def sharding(platform: Platform, layouts: dict[str, Layout], budget: Budget, out: str,
             names: dict[tuple[str, str], Location], sizes: dict[tuple[str, str], int],
             catalog: Catalog) -> Iterator[Diagnostic]:
    """What automatic sharding cannot solve alone: a model larger than a root, a root that
    outgrew its budget (a move plan), a platform root too big on its own, and an
    environment named like a shard's RootSync. `names`: where each (env, "ns/name") model
    names itself; `sizes`: its objects."""
    for env in platform.environments:
        if shard_number(f"_{env.name}") is not None:
            yield env.location.diagnostic(
                STEP, f"environment name {env.name!r} is reserved: shard roots' RootSyncs are "
                f"named infergen-shard-NNN", "choose another name")
        layout = layouts.get(env.name)
        if layout is None:
            continue
        if env.tenancy == TENANCY_NAMESPACE:
            yield from _tenancy(env, layout, budget, out, catalog)
            continue
        if layout.stranded:
            yield env.location.diagnostic(
                STEP, f"environment {env.name!r} left tenancy: namespace, but "
                f"{len(layout.stranded)} of its models are in their namespace's root "
                f"(first: {layout.stranded[0]}); infergen cannot move them back",
                "keep tenancy: namespace, or empty the environment first (Config Sync deletes "
                "what it synced from a root that goes)")
        for key in layout.too_large:
            yield names[env.name, key].diagnostic(
                STEP, f"model {key} renders {sizes[env.name, key]} objects in environment "
                f"{env.name!r}: a single model is larger than a Config Sync root "
                f"({budget.limit} objects)", "infergen never splits a model across roots: "
                "raise Platform.spec.configSync.maxObjectsPerRoot (Config Sync's inventory "
                "holds about 5,000 objects before it risks etcd's size limit)")
        for root, count in layout.overflow.items():
            moves = [m for m in layout.plan if m.source == root]
            if not moves:
                continue
            yield env.location.diagnostic(
                STEP, f"root {out}/{folder(env.name, root)} would hold {count} objects, more "
                f"than the budget of {budget.limit}; move plan: " + ", ".join(
                    f"{m.model} to {out}/{folder(env.name, m.target)}" for m in moves),
                MOVE_HINT)
        for root in layout.over:
            if root == PLATFORM_ROOT and not layout.too_large:
                yield env.location.diagnostic(
                    STEP, f"the platform root {out}/{env.name} holds {layout.counts[root]} "
                    f"objects of its own (Namespaces, shared objects, shard RootSyncs), more "
                    f"than the budget of {budget.limit}",
                    "raise Platform.spec.configSync.maxObjectsPerRoot")
