"""GKE Inference Gateway: an InferencePool over the model's serving pods, the endpoint
picker (EPP) that chooses a pod for each request, GKE's health check and backend policies
for the pool, and an HTTPRoute from the environment's Gateway."""

from __future__ import annotations

from typing import Any

from generator.catalog import Catalog
from generator.catalog.gke import EndpointPicker
from generator.objects import labels, security
from generator.objects.resources import guaranteed_from
from generator.objects.workload import serving_selector
from generator.plan import model_source, names
from generator.plan.records import Plan
from generator.spec.yamlio import dump


def _enabled(plan: Plan) -> bool:
    return bool(plan.spec["routing"]["inferenceGateway"])


def _pool_group(catalog: Catalog) -> str:
    return catalog.kubernetes.api("InferencePool").split("/")[0]


def _pool_ref(plan: Plan, catalog: Catalog) -> dict[str, str]:
    return {"group": _pool_group(catalog), "kind": "InferencePool", "name": plan.name}


def served_model_names(plan: Plan, catalog: Catalog) -> list[str]:
    """The names clients put in a request's "model" field (model.servedName, else the
    model id)."""
    return model_source.served_names(plan.spec, plan.facts.checked_source)


def inference_pool(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    if not _enabled(plan):
        return None
    gateway = catalog.gke.inference_gateway
    port = plan.facts.checked_engine.port
    return {
        "apiVersion": catalog.kubernetes.api("InferencePool"), "kind": "InferencePool",
        "metadata": labels.metadata(plan),
        "spec": {
            "selector": {"matchLabels": serving_selector(plan, catalog)},
            "targetPorts": [{"number": port}],
            "endpointPickerRef": {"name": _picker_name(plan, catalog),
                                  "port": {"number": gateway.endpoint_picker_port},
                                  "failureMode": gateway.failure_mode},
        },
    }


def health_check_policy(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    if not _enabled(plan):
        return None
    engine = plan.facts.checked_engine
    path = engine.readiness_path or engine.health_path
    return {"apiVersion": catalog.kubernetes.api("HealthCheckPolicy"),
            "kind": "HealthCheckPolicy",
            "metadata": labels.metadata(plan),
            "spec": {"targetRef": _pool_ref(plan, catalog),
                     "default": {"config": {"type": "HTTP", "httpHealthCheck": {
                         "requestPath": path, "port": engine.port}}}}}


def gcp_backend_policy(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    if not _enabled(plan):
        return None
    return {"apiVersion": catalog.kubernetes.api("GCPBackendPolicy"),
            "kind": "GCPBackendPolicy",
            "metadata": labels.metadata(plan),
            "spec": {"targetRef": _pool_ref(plan, catalog),
                     "default": {
                         "timeoutSec": catalog.gke.inference_gateway.backend_timeout_sec,
                         "logging": {"enabled": True}}}}


def http_route(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    gateway = plan.environment.gateway
    if not _enabled(plan) or gateway is None:
        return None
    header = catalog.gke.inference_gateway.model_header
    names = served_model_names(plan, catalog)
    names += [a["name"] for a in plan.spec["model"].get("adapters", [])]
    return {
        "apiVersion": catalog.kubernetes.api("HTTPRoute"), "kind": "HTTPRoute",
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


# ------------------------------------------------------------ the endpoint picker

def _picker_name(plan: Plan, catalog: Catalog) -> str:
    return names.picker_name(plan.name, catalog)


def picker_metadata(plan: Plan, catalog: Catalog) -> dict[str, Any]:
    return {**labels.metadata(plan), "name": _picker_name(plan, catalog),
            "labels": {**labels.common(plan), "app.kubernetes.io/component": "endpoint-picker"}}


def picker_selector(plan: Plan) -> dict[str, str]:
    return {"app.kubernetes.io/instance": plan.name,
            "app.kubernetes.io/component": "endpoint-picker"}


def endpoint_picker_service_account(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    if not _enabled(plan):
        return None
    return {"apiVersion": catalog.kubernetes.api("ServiceAccount"), "kind": "ServiceAccount",
            "metadata": picker_metadata(plan, catalog)}


def endpoint_picker_role(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    """The picker watches the model's pods and its pool."""
    if not _enabled(plan):
        return None
    read = ["get", "list", "watch"]
    reads = catalog.gke.inference_gateway.endpoint_picker.reads
    return {"apiVersion": catalog.kubernetes.api("Role"), "kind": "Role",
            "metadata": picker_metadata(plan, catalog),
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": read},
                      {"apiGroups": [_pool_group(catalog)], "resources": ["inferencepools"],
                       "verbs": read},
                      *({"apiGroups": [group], "resources": list(resources), "verbs": read}
                        for group, resources in reads.items())]}


def endpoint_picker_role_binding(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    if not _enabled(plan):
        return None
    name = _picker_name(plan, catalog)
    return {"apiVersion": catalog.kubernetes.api("RoleBinding"), "kind": "RoleBinding",
            "metadata": picker_metadata(plan, catalog),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": plan.namespace}]}


PLUGINS_FILE = "default-plugins.yaml"


def endpoint_picker_config(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    if not _enabled(plan):
        return None
    picker = catalog.gke.inference_gateway.endpoint_picker
    weights = picker.plugins
    config = {
        "apiVersion": catalog.kubernetes.api("EndpointPickerConfig"),
        "kind": "EndpointPickerConfig",
        "plugins": [*({"type": name} for name in weights),
                    *_metrics_plugins(plan, picker)],
        "schedulingProfiles": [{"name": "default", "plugins": [
            {"pluginRef": name, "weight": weight} for name, weight in weights.items()]}],
    }
    return {"apiVersion": catalog.kubernetes.api("ConfigMap"), "kind": "ConfigMap",
            "metadata": picker_metadata(plan, catalog),
            "data": {PLUGINS_FILE: dump(config)}}


def _metrics_plugins(plan: Plan, picker: EndpointPicker) -> list[dict[str, Any]]:
    """How the picker reads each pod's load: a scrape of the engine's metrics path, and the
    engine's own series named explicitly (its engineConfigs entry, the default for every
    pod, since a pool serves one engine)."""
    engine = plan.facts.checked_engine
    source = picker.metrics_source
    entry = dict(engine.endpoint_picker_metrics or {})
    if not plan.spec["model"].get("adapters"):
        entry.pop("loraSpec", None)   # the engine exports no LoRA series without adapters
    return [
        {"type": source.type, "parameters": {
            "scheme": source.scheme, "path": engine.served_metrics.path,
            "insecureSkipVerify": source.insecure_skip_verify}},
        {"type": picker.metrics_extractor, "parameters": {
            "defaultEngine": entry["name"], "engineConfigs": [entry]}},
    ]


def endpoint_picker_deployment(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    if not _enabled(plan):
        return None
    gateway = catalog.gke.inference_gateway
    picker = gateway.endpoint_picker
    name = _picker_name(plan, catalog)
    health = {"grpc": {"port": picker.health_port, "service": picker.health_service},
              **picker.probe}
    return {
        "apiVersion": catalog.kubernetes.api("Deployment"), "kind": "Deployment",
        "metadata": picker_metadata(plan, catalog),
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": picker_selector(plan)},
            "template": {
                "metadata": {"labels": {**labels.common(plan), **picker_selector(plan)}},
                "spec": {
                    "serviceAccountName": name,
                    "terminationGracePeriodSeconds": picker.termination_grace_period_seconds,
                    "securityContext": security.pod_context(catalog),
                    "containers": [{
                        "name": "epp", "image": picker.image,
                        "args": [f"--pool-name={plan.name}",
                                 f"--pool-namespace={plan.namespace}",
                                 f"--pool-group={_pool_group(catalog)}",
                                 f"--config-file=/config/{PLUGINS_FILE}",
                                 *picker.flags],
                        "env": [{"name": "NAMESPACE", "valueFrom": {
                            "fieldRef": {"fieldPath": "metadata.namespace"}}}],
                        "ports": [{"name": "grpc", "containerPort": gateway.endpoint_picker_port},
                                  {"name": "grpc-health", "containerPort": picker.health_port},
                                  {"name": "metrics", "containerPort": picker.metrics_port}],
                        "livenessProbe": health, "readinessProbe": health,
                        "resources": guaranteed_from(dict(picker.resources)),
                        "securityContext": security.container_context(),
                        "volumeMounts": [{"name": "plugins-config", "mountPath": "/config"}],
                    }],
                    "volumes": [{"name": "plugins-config", "configMap": {"name": name}}],
                },
            },
        },
    }


def endpoint_picker_service(plan: Plan, catalog: Catalog) -> dict[str, Any] | None:
    if not _enabled(plan):
        return None
    gateway = catalog.gke.inference_gateway
    return {"apiVersion": catalog.kubernetes.api("Service"), "kind": "Service",
            "metadata": picker_metadata(plan, catalog),
            "spec": {"type": "ClusterIP", "selector": picker_selector(plan), "ports": [
                {"name": "grpc-ext-proc", "port": gateway.endpoint_picker_port,
                 "targetPort": "grpc", "protocol": "TCP", "appProtocol": "http2"},
                {"name": "http-metrics", "port": gateway.endpoint_picker.metrics_port,
                 "targetPort": "metrics", "protocol": "TCP"}]}}
