"""Fleet rules: which clusters of an environment a model runs on, roots that would become
empty (Config Sync deletes what it synced from them), and Config Sync's object limit per
root. One function per rule; each returns diagnostics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator

from generator.catalog import Catalog
from generator.checks.common import STEP
from generator.diagnostics import Diagnostic, Severity, did_you_mean
from generator.plan.records import Plan, Platform
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
                allowed: Collection[str] | None) -> Iterator[Diagnostic]:
    """An environment, or a cluster of it, left without models. A warning when only
    validating (`allowed` is None); an error for a render unless the environment is allowed."""
    for env in platform.environments:
        in_env = [clusters for name, clusters in plans if name == env.name]
        severity: Severity
        if allowed is None or env.name in allowed:
            severity, hint = "warning", EMPTY_HINT
        else:
            severity, hint = "error", (
                f"Config Sync would delete everything it synced from {out}/{env.name}; add a "
                f"model, or render with --allow-empty {env.name} if that is what you want")
        if not in_env:
            yield env.location.diagnostic(STEP, f"environment {env.name!r} has no models",
                                          hint, severity)
            continue
        covered: set[str] = set()
        for clusters in in_env:
            covered.update(clusters or env.clusters)
        for cluster in env.clusters:
            if cluster not in covered:
                yield env.location.diagnostic(
                    STEP, f"cluster {cluster!r} of environment {env.name!r} has no models: "
                    "every model there selects other clusters (spec.clusters)", hint, severity)


def object_counts(rendered: Iterable[tuple[str, object]], platform: Platform,
                  catalog: Catalog) -> Iterator[Diagnostic]:
    """A root holds at most as many objects as Config Sync syncs from one (KNV1070), from
    the (path, kind) of every rendered object."""
    limit = catalog.gke["configSync"]["maxObjectsPerRoot"]
    counts = Counter(path.split("/", 1)[0] for path, kind in rendered
                     if kind != "Kustomization")
    for env in platform.environments:
        if counts[env.name] > limit:
            yield env.location.diagnostic(
                STEP, f"environment {env.name!r} renders {counts[env.name]} objects, more than "
                f"the {limit} Config Sync accepts in one root (KNV1070)",
                "split its models across more environments")
