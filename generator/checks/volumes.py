"""Rules about the spec's own volumes (server.volumes): one source each, never hostPath,
and no clash with the volumes and mounts infergen renders itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from generator.catalog import Catalog
from generator.checks.common import STEP, valid_shape
from generator.diagnostics import Diagnostic
from generator.plan import model_source
from generator.plan.records import Plan

SOURCES = ("configMap", "secret", "persistentVolumeClaim", "emptyDir")

# The volume names and the engine's mount paths infergen renders for a plan without
# server.volumes; the orchestrator passes the builder's answer in
# (objects.workload.derived_mounts), so this step never imports the next one.
DerivedMounts = Callable[[Plan, Catalog], tuple[list[str], list[str]]]


def _overlaps(one: str, other: str) -> bool:
    """The same path, or one inside the other (a mount would hide or shadow the other)."""
    a, b = one.rstrip("/") + "/", other.rstrip("/") + "/"
    return a.startswith(b) or b.startswith(a)


def _buildable(plan: Plan, catalog: Catalog) -> bool:
    """The engine container can be derived (else other rules say why)."""
    engine, source = plan.facts.engine, plan.facts.source
    if engine is None or source is None or valid_shape(plan, catalog) is None:
        return False
    custom_ok = plan.spec["server"]["engine"] != "custom" or bool(plan.spec["server"].get("image"))
    return (model_source.kind(source) in engine.sources and custom_ok
            and plan.spec["model"]["dtype"] in engine.dtype_args)


def extra_volumes(plan: Plan, catalog: Catalog, derive: DerivedMounts) -> Iterator[Diagnostic]:
    """server.volumes: exactly one source each, never hostPath, and names and mount paths
    of their own."""
    entries = plan.spec["server"].get("volumes", [])
    if not entries:
        return
    for index, entry in enumerate(entries):
        if "hostPath" in entry:
            yield plan.locate("server", "volumes", index, "hostPath").diagnostic(
                STEP, "hostPath volumes are never allowed: they expose the node's file "
                "system to the pod, and GKE Autopilot refuses writable ones",
                "use a persistentVolumeClaim, configMap or secret")
            continue
        given = [s for s in SOURCES if s in entry]
        if len(given) != 1:
            yield plan.locate("server", "volumes", index).diagnostic(
                STEP, f"volume {entry['name']!r} needs exactly one source, not "
                + (", ".join(given) if given else "none"),
                "one of: " + ", ".join(SOURCES))
    names, paths = derive(plan, catalog) if _buildable(plan, catalog) else ([], [])
    seen_names: dict[str, int] = {}
    seen_paths: dict[str, int] = {}
    for index, entry in enumerate(entries):
        name, path = entry["name"], entry["mountPath"]
        if name in names:
            yield plan.locate("server", "volumes", index, "name").diagnostic(
                STEP, f"volume name {name!r} is one of infergen's own", "choose another name")
        elif name in seen_names:
            yield plan.locate("server", "volumes", index, "name").diagnostic(
                STEP, f"volume name {name!r} is used twice in server.volumes")
        seen_names.setdefault(name, index)
        clash = next((p for p in paths if _overlaps(path, p)), None)
        if clash is not None:
            yield plan.locate("server", "volumes", index, "mountPath").diagnostic(
                STEP, f"{path} clashes with infergen's mount at {clash}",
                "mount it elsewhere, for example under /config")
        elif any(_overlaps(path, p) for p in seen_paths):
            yield plan.locate("server", "volumes", index, "mountPath").diagnostic(
                STEP, f"{path} clashes with another volume of server.volumes",
                "give each volume a path of its own")
        seen_paths.setdefault(path, index)
