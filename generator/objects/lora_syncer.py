"""LoRA adapters loaded at run time (model.adapters[].loading: dynamic): a ConfigMap listing
them, and the Gateway API Inference Extension's LoRA syncer beside the engine, which loads
what the list names through the engine's runtime LoRA API (catalog gke.yaml loraSyncer).
The list lives only in the ConfigMap, so changing it never changes the pod template."""

from __future__ import annotations

from typing import Any

from generator.catalog import Catalog
from generator.objects import labels, security, storage
from generator.objects.resources import guaranteed_from
from generator.plan import model_source, names
from generator.plan.records import Plan
from generator.spec.yamlio import dump

VOLUME = "lora-adapters"


def dynamic(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The adapters the syncer loads at run time."""
    return [a for a in spec["model"].get("adapters", []) if a.get("loading") == "dynamic"]


def _name(plan: Plan) -> str:
    return names.lora_list_name(plan.name)


def config_map(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    adapters = dynamic(plan.spec)
    if not adapters:
        return None
    syncer = catalog.gke.lora_syncer
    base = model_source.served_names(plan.spec, plan.facts.checked_source)[0]
    config = {syncer.config_root: {
        "name": _name(plan), "port": plan.facts.checked_engine.port,
        "defaultBaseModel": base,
        "ensureExist": {"models": [{"id": a["name"], "source": storage.adapter_location(a)}
                                   for a in adapters]}}}
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {**labels.metadata(plan), "name": _name(plan)},
            "data": {syncer.config_key: dump(config)}}


def sidecars(plan: Plan, catalog: Catalog, role: str | None) -> list[dict[str, Any]]:
    """The syncer, as a native sidecar (an init container that keeps running), in a pod
    that serves (not a multi-host group's workers)."""
    if not dynamic(plan.spec) or role == "worker":
        return []
    syncer = catalog.gke.lora_syncer
    return [{
        "name": syncer.name, "image": syncer.image, "restartPolicy": "Always",
        "env": [{"name": syncer.config_env,
                 "value": f"{syncer.config_dir}/{syncer.config_key}"}],
        "resources": guaranteed_from(dict(syncer.resources)),
        "securityContext": security.container_context(),
        # the whole ConfigMap as a directory: a subPath mount never sees an update
        "volumeMounts": [{"name": VOLUME, "mountPath": syncer.config_dir, "readOnly": True},
                         *security.mounts(None, catalog)],
    }]


def volumes(plan: Plan, catalog: Catalog) -> list[dict[str, Any]]:
    if not dynamic(plan.spec):
        return []
    return [{"name": VOLUME, "configMap": {"name": _name(plan)}}]
