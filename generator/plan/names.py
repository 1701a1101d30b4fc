"""Every object name infergen derives from a model's name, in one table: the objects build
their names here, and checks/operations.derived_names refuses, at the spec, a name whose
derived names would break a Kubernetes limit or collide with another model's. A name that
is only checked later, in the generated files, is a bug (exit 3) instead of an error at the
user's line (exit 1)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from generator.catalog import Catalog

# Kubernetes' name rules (k8s.io/apimachinery pkg/util/validation/validation.go):
# a DNS-1123 label (most names, label values) and subdomain (ConfigMaps, ServiceAccounts),
# and the DNS-1035 label a Service's name must be (IsDNS1035Label: it starts with a letter).
LABEL_LENGTH = 63
SUBDOMAIN_LENGTH = 253
DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

# The ConfigMap listing the adapters the LoRA syncer loads at run time (lora_syncer.py).
LORA_SUFFIX = "-lora-adapters"


@dataclass(frozen=True)
class Derived:
    """`<model name><suffix>` names `what`'s `kinds`, each at most `limit` characters;
    `service` when one of them is a Service (a DNS-1035 label); rendered when `when(spec)`,
    which `note` says."""
    what: str
    note: str
    suffix: str
    kinds: tuple[str, ...]
    limit: int
    service: bool
    when: Callable[[dict[str, Any]], bool]


def _always(spec: dict[str, Any]) -> bool:
    return True


def _gateway(spec: dict[str, Any]) -> bool:
    return bool(spec["routing"]["inferenceGateway"])


def _dynamic_lora(spec: dict[str, Any]) -> bool:
    return any(a.get("loading") == "dynamic" for a in spec["model"].get("adapters", []))


def derived(catalog: Catalog) -> tuple[Derived, ...]:
    """The names of a model's objects: its own (Deployment or LeaderWorkerSet, Service,
    ServiceAccount, HTTPRoute, InferencePool, PodMonitoring, ...), its endpoint picker's and
    its LoRA adapter list."""
    return (
        Derived("the model", "always", "", ("Service", "Deployment"), LABEL_LENGTH, True,
                _always),
        Derived("the endpoint picker", "behind GKE Inference Gateway",
                catalog.gke.inference_gateway.endpoint_picker_suffix,
                ("Service", "Deployment", "ServiceAccount", "ConfigMap", "Role",
                 "RoleBinding", "NetworkPolicy"), LABEL_LENGTH, True, _gateway),
        Derived("the LoRA syncer", "model.adapters[].loading: dynamic", LORA_SUFFIX,
                ("ConfigMap",), SUBDOMAIN_LENGTH, False, _dynamic_lora),
    )


# A multi-host model (LeaderWorkerSet) runs group g's workers as the StatefulSet <name>-<g>,
# whose pods carry the label controller-revision-hash: <statefulset>-<hash of up to 10
# characters> (kubernetes/kubernetes#64023; kubernetes-sigs/lws#410: an LWS name over 51
# characters creates no worker pod). A name ending in -<digits> would be another multi-host
# model's worker StatefulSet.
REVISION_HASH = 10
GROUP_SUFFIX = re.compile(r"-[0-9]+$")


def groups(spec: dict[str, Any]) -> int:
    """The most replicas (LeaderWorkerSet groups) the model scales to."""
    scaling = spec.get("scaling", {})
    return max(int(scaling.get("minReplicas", 1)), int(scaling.get("maxReplicas", 1)), 1)


def revision_label(model: str, spec: dict[str, Any]) -> str:
    """The longest controller-revision-hash label a worker pod of the model carries."""
    return f"{model}-{groups(spec) - 1}-{'h' * REVISION_HASH}"


def picker_name(model: str, catalog: Catalog) -> str:
    return f"{model}{catalog.gke.inference_gateway.endpoint_picker_suffix}"


def lora_list_name(model: str) -> str:
    return f"{model}{LORA_SUFFIX}"
