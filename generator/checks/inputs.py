"""Rules over the whole set of inputs: the Platform, environment and model names."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from generator.catalog import Catalog, read_data
from generator.checks.common import STEP
from generator.diagnostics import Diagnostic, Location, did_you_mean
from generator.output.layout import RESERVED_FOLDERS
from generator.plan.records import Platform
from generator.spec.load import Source

# besides Config Sync's (catalog/kubernetes.yaml): the recommended labels' and infergen's own
OWN_LABEL_PREFIXES = ("app.kubernetes.io/", "infergen.dev/")


def platform_count(platforms: list[Source], folder: str) -> Iterator[Diagnostic]:
    """Exactly one Platform describes the environments."""
    if not platforms:
        yield Diagnostic(folder, 0, 0, "", "no Platform found", STEP,
                         f"add {folder}/platform.yaml with `kind: Platform`")
    for extra in platforms[1:]:
        yield extra.document.locate(("kind",)).diagnostic(
            STEP, f"a second Platform (the first is {platforms[0].display})", "keep one")


def environment_names(platform: Platform) -> Iterator[Diagnostic]:
    """Environment names are unique; a cluster syncs one environment."""
    seen: dict[str, str] = {}
    owner: dict[str, str] = {}
    for index, env in enumerate(platform.environments):
        if env.name in seen:
            yield platform.source.document.locate(
                ("spec", "environments", index, "name")).diagnostic(
                STEP, f"environment {env.name!r} is defined twice")
        if env.name in RESERVED_FOLDERS:
            yield platform.source.document.locate(
                ("spec", "environments", index, "name")).diagnostic(
                STEP, f"environment name {env.name!r} is reserved",
                "rendered/bootstrap holds the clusters' RootSyncs and rendered/dashboards "
                "their dashboards")
        seen[env.name] = env.name
        for c_index, cluster in enumerate(env.clusters):
            if cluster in env.clusters[:c_index]:  # a name and a {name, region} alike
                yield platform.source.document.locate(
                    ("spec", "environments", index, "clusters", c_index)).diagnostic(
                    STEP, f"cluster {cluster!r} is listed twice in environment {env.name!r}")
            if cluster in owner and owner[cluster] != env.name:
                yield platform.source.document.locate(
                    ("spec", "environments", index, "clusters", c_index)).diagnostic(
                    STEP, f"cluster {cluster!r} is already in environment {owner[cluster]!r}",
                    "a cluster syncs exactly one environment root")
            owner.setdefault(cluster, env.name)
        if env.gcp_project is not None and env.target != "gke":
            yield platform.source.document.locate(
                ("spec", "environments", index, "configConnector")).diagnostic(
                STEP, "configConnector renders Cloud Monitoring and Cloud Logging objects, "
                "which a target: kubernetes environment does not have",
                "remove configConnector, or make the environment target: gke")


def config_sync_auth(platform: Platform) -> Iterator[Diagnostic]:
    """Config Sync gets the credentials its auth mode needs."""
    sync = platform.config_sync
    if sync["auth"] == "gcpserviceaccount" and "gcpServiceAccountEmail" not in sync:
        yield platform.source.document.locate(("spec", "configSync", "auth")).diagnostic(
            STEP, "auth gcpserviceaccount needs configSync.gcpServiceAccountEmail")
    if sync["auth"] not in ("token", "ssh") and "secretRef" in sync:
        yield platform.source.document.locate(("spec", "configSync", "secretRef")).diagnostic(
            STEP, f"secretRef is only used with auth token or ssh, not {sync['auth']}")
    if sync["auth"] != "gcpserviceaccount" and "gcpServiceAccountEmail" in sync:
        yield platform.source.document.locate(
            ("spec", "configSync", "gcpServiceAccountEmail")).diagnostic(
            STEP, "gcpServiceAccountEmail is only used with auth gcpserviceaccount")


def model_environments(source: Source, platform: Platform) -> Iterator[Diagnostic]:
    """deployTo and environments name environments of the Platform."""
    spec = source.document.data["spec"]
    known = [e.name for e in platform.environments]
    if spec.get("deployTo") == []:
        yield source.document.locate(("spec", "deployTo")).diagnostic(
            STEP, "deployTo is empty: the model is rendered nowhere",
            "remove deployTo to deploy everywhere, or delete the spec", "warning")
    for index, name in enumerate(spec.get("deployTo", [])):
        if name not in known:
            yield source.document.locate(("spec", "deployTo", index)).diagnostic(
                STEP, f"environment {name!r} is not in the Platform (known: "
                + ", ".join(known) + ")", did_you_mean(name, known))
    for name in spec.get("environments", {}):
        if name not in known:
            yield source.document.locate(("spec", "environments", name), at_key=True).diagnostic(
                STEP, f"environment {name!r} is not in the Platform (known: "
                + ", ".join(known) + ")", did_you_mean(name, known))
        elif "deployTo" in spec and name not in spec["deployTo"]:
            yield source.document.locate(("spec", "environments", name), at_key=True).diagnostic(
                STEP, f"overrides for {name!r}, which deployTo leaves out",
                "add it to deployTo or remove the overrides", "warning")


def model_labels(source: Source, catalog: Catalog) -> Iterator[Diagnostic]:
    """User labels never take keys that Config Sync or infergen reserve."""
    reserved = (*catalog.kubernetes.reserved_prefixes, *OWN_LABEL_PREFIXES)
    for key in source.document.data["metadata"].get("labels", {}):
        if key.startswith(reserved):
            yield source.document.locate(("metadata", "labels", key), at_key=True).diagnostic(
                STEP, f"label {key!r} uses a reserved prefix",
                "Config Sync rejects configsync.gke.io/ and configmanagement.gke.io/ labels; "
                "infergen sets app.kubernetes.io/ and infergen.dev/ itself")


@cache
def _namespaces() -> Any:
    return read_data("namespaces.yaml")


def reserved_namespace(namespace: str) -> str:
    """Why `namespace` is not a model's to take ("" when it is)."""
    data = _namespaces()
    if any(namespace == entry["name"] for entry in data["exact"]):
        return f"namespace {namespace!r} belongs to the cluster"
    for entry in data["prefixes"]:
        if namespace.startswith(entry["prefix"]):
            return f"namespace {namespace!r} is reserved ({entry['prefix']}*)"
    return ""


def model_namespace(source: Source) -> Iterator[Diagnostic]:
    """A model never goes into a system namespace (Kubernetes', GKE's, Config Sync's,
    Managed Prometheus'): infergen declares its namespace as its own."""
    namespace = source.document.data["metadata"].get("namespace")
    why = reserved_namespace(namespace) if isinstance(namespace, str) else ""
    if why:
        yield source.document.locate(("metadata", "namespace")).diagnostic(
            STEP, f"{why}: infergen would declare it as the model's own, and with tenancy: "
            "namespace give its reconciler write access to it", "choose a namespace of your "
            "own, such as inference")


# A model placed in an environment: (environment, namespace, name), the spec it comes
# from (compared by identity), that spec's display name, and where it sets metadata.name.
Named = tuple[tuple[str, str, str], object, str, Location]


def unique_names(named: Iterable[Named]) -> Iterator[Diagnostic]:
    """One model per (environment, namespace, name)."""
    first: dict[tuple[str, str, str], tuple[object, str]] = {}
    for key, owner, display, where in named:
        if key in first and first[key][0] is not owner:
            environment, namespace, name = key
            yield where.diagnostic(
                STEP, f"{namespace}/{name} is also defined in {first[key][1]} (environment "
                f"{environment})", "rename one of them or put it in another namespace")
        first.setdefault(key, (owner, display))
