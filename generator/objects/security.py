"""Secure pod defaults: a fixed non-root user, no privilege escalation, no capabilities,
the runtime's seccomp profile and a read-only root file system, with every path an engine
writes to on an emptyDir. A spec may relax the user or the file system, with a reason that
stays on the pods."""

from __future__ import annotations

from typing import Any

from generator.catalog import Catalog
from generator.catalog.engine_entry import Engine

TMP_VOLUME, HOME_VOLUME = "tmp", "home"
EXCEPTION_ANNOTATION = "infergen.dev/security-exception"
NETWORK_EXCEPTION_ANNOTATION = "infergen.dev/network-exception"  # catalog/safeguards.yaml


def _relaxed(spec: dict[str, Any]) -> dict[str, Any]:
    return dict(spec["server"].get("security", {}))


def pod_context(catalog: Catalog, spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """The pod's security context; `spec` (a model's) may relax it."""
    user = catalog.gke.pod_security
    context: dict[str, Any] = {"seccompProfile": {"type": "RuntimeDefault"}}
    accelerator = spec["accelerator"].get("type", "none") if spec else "none"
    needs_root = catalog.accelerator_kind(accelerator) in user.root_for
    if not (spec and _relaxed(spec).get("runAsRoot")) and not needs_root:
        context.update({"runAsNonRoot": True, "runAsUser": user.uid,
                        "runAsGroup": user.gid, "fsGroup": user.gid})
    return context


def container_context(spec: dict[str, Any] | None = None) -> dict[str, Any]:
    relaxed = _relaxed(spec) if spec else {}
    return {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": not relaxed.get("writableRootFilesystem", False)}


def pod_annotations(spec: dict[str, Any]) -> dict[str, str]:
    """The reasons a model gives for each safeguard it opts out of, on its pods."""
    found = {}
    reason = _relaxed(spec).get("reason")
    if reason:
        found[EXCEPTION_ANNOTATION] = reason
    network = spec.get("networkPolicy", {}).get("reason")
    if network:
        found[NETWORK_EXCEPTION_ANNOTATION] = network
    return found


def volumes() -> list[dict[str, Any]]:
    return [{"name": TMP_VOLUME, "emptyDir": {}}, {"name": HOME_VOLUME, "emptyDir": {}}]


def mounts(engine: Engine | None, catalog: Catalog) -> list[dict[str, Any]]:
    """/tmp and HOME for every container, plus the engine's other writable paths."""
    found = [{"name": HOME_VOLUME, "mountPath": catalog.gke.pod_security.home}]
    for index, path in enumerate(engine.writable_paths if engine else ("/tmp",)):
        found.append({"name": TMP_VOLUME, "mountPath": path,
                      **({"subPath": f"path-{index}"} if index else {})})
    return found
