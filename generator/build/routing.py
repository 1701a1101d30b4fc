"""GKE Inference Gateway: an InferencePool over the model's serving pods, GKE's health
check and backend policies for it, and an HTTPRoute from the environment's Gateway."""

from __future__ import annotations

from typing import Any

from generator import model_source
from generator.build import labels
from generator.build.workload import serving_selector
from generator.catalog import Catalog
from generator.engine_facts import engine_for
from generator.model import Plan


def _enabled(plan: Plan) -> bool:
    return bool(plan.spec["routing"]["inferenceGateway"])


def _pool_ref(plan: Plan, catalog: Catalog) -> dict[str, str]:
    group = catalog.gke["inferenceGateway"]["poolApiVersion"].split("/")[0]
    return {"group": group, "kind": "InferencePool", "name": plan.name}


def served_model_name(plan: Plan, catalog: Catalog) -> str:
    """The name clients put in a request's "model" field."""
    source = model_source.parse(plan.spec["model"]["source"])
    assert source is not None, "checked before build"
    return source.name


def inference_pool(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    if not _enabled(plan):
        return None
    gateway = catalog.gke["inferenceGateway"]
    port = engine_for(plan.spec, catalog)["port"]
    return {
        "apiVersion": gateway["poolApiVersion"], "kind": "InferencePool",
        "metadata": labels.metadata(plan),
        "spec": {
            "selector": {"matchLabels": serving_selector(plan, catalog)},
            "targetPorts": [{"number": port}],
            "endpointPickerRef": {"name": plan.name + gateway["endpointPickerSuffix"],
                                  "port": {"number": gateway["endpointPickerPort"]},
                                  "failureMode": gateway["failureMode"]},
        },
    }


def health_check_policy(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    if not _enabled(plan):
        return None
    engine = engine_for(plan.spec, catalog)
    path = engine.get("readinessPath", engine["healthPath"])
    return {"apiVersion": "networking.gke.io/v1", "kind": "HealthCheckPolicy",
            "metadata": labels.metadata(plan),
            "spec": {"targetRef": _pool_ref(plan, catalog),
                     "default": {"config": {"type": "HTTP", "httpHealthCheck": {
                         "requestPath": path, "port": engine["port"]}}}}}


def gcp_backend_policy(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    if not _enabled(plan):
        return None
    return {"apiVersion": "networking.gke.io/v1", "kind": "GCPBackendPolicy",
            "metadata": labels.metadata(plan),
            "spec": {"targetRef": _pool_ref(plan, catalog),
                     "default": {
                         "timeoutSec": catalog.gke["inferenceGateway"]["backendTimeoutSec"],
                         "logging": {"enabled": True}}}}


def http_route(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    gateway = plan.environment.gateway
    if not _enabled(plan) or gateway is None:
        return None
    header = catalog.gke["inferenceGateway"]["modelHeader"]
    names = [served_model_name(plan, catalog)]
    names += [a["name"] for a in plan.spec["model"].get("adapters", [])]
    return {
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": labels.metadata(plan),
        "spec": {
            "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                            "name": gateway["name"], "namespace": gateway["namespace"]}],
            "rules": [{
                "matches": [{"headers": [{"type": "Exact", "name": header, "value": name}]}
                            for name in names],
                "backendRefs": [_pool_ref(plan, catalog)],
            }],
        },
    }
