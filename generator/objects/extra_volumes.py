"""The spec's own volumes (server.volumes): a ConfigMap, Secret, PersistentVolumeClaim or
emptyDir mounted in the engine container (checks.volumes refuses hostPath and clashes with
infergen's own mounts)."""

from __future__ import annotations

from typing import Any

SOURCES = ("configMap", "secret", "persistentVolumeClaim", "emptyDir")
SECRET_MODE = 0o440  # the pod's group (fsGroup) reads it; nobody writes it


def _source(entry: dict[str, Any]) -> dict[str, Any]:
    if "configMap" in entry:
        return {"configMap": {"name": entry["configMap"]["name"]}}
    if "secret" in entry:
        return {"secret": {"secretName": entry["secret"]["name"], "defaultMode": SECRET_MODE}}
    if "persistentVolumeClaim" in entry:
        return {"persistentVolumeClaim": {"claimName": entry["persistentVolumeClaim"]["name"],
                                          **({"readOnly": True} if read_only(entry) else {})}}
    return {"emptyDir": dict(entry["emptyDir"])}


def read_only(entry: dict[str, Any]) -> bool:
    """readOnly, by default true for everything but an emptyDir (a scratch directory)."""
    return bool(entry.get("readOnly", "emptyDir" not in entry))


def volumes(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": e["name"], **_source(e)} for e in spec["server"].get("volumes", [])]


def mounts(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": e["name"], "mountPath": e["mountPath"],
             **({"readOnly": True} if read_only(e) else {})}
            for e in spec["server"].get("volumes", [])]
