"""What Config Sync (`nomos vet`, unstructured format) rejects in a synced root.

Each rule is one function from an object to messages; `duplicate_identities` is the rule
over a whole root.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from generator.catalog import load

_FACTS = load().kubernetes  # catalog/kubernetes.yaml
CONFIG_SYNC_PREFIXES = _FACTS.reserved_prefixes
ALLOWED_ANNOTATIONS = _FACTS.allowed_annotations  # accepted despite their prefix (KNV1010)
SERVER_FIELDS = ("ownerReferences", "selfLink", "uid", "resourceVersion", "creationTimestamp",
                 "deletionTimestamp", "deletionGracePeriodSeconds")
RESERVED_NAMESPACES = _FACTS.reserved_namespaces
CLUSTER_SCOPED = _FACTS.cluster_scoped
LABEL_NAMED = _FACTS.label_named  # names are DNS-1123 labels rather than subdomains
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def group_of(obj: dict[str, Any]) -> str:
    api_version = str(obj.get("apiVersion", ""))
    return api_version.rpartition("/")[0]


def _metadata(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def no_server_fields(obj: dict[str, Any]) -> Iterator[str]:
    """KNV1045: no status and no fields the API server owns."""
    if obj.get("status"):
        yield "has a status (KNV1045)"
    meta = _metadata(obj)
    for name in SERVER_FIELDS:
        if name in meta:
            yield f"has metadata.{name} (KNV1045)"
    if meta.get("generation"):
        yield "has metadata.generation (KNV1045)"


def no_reserved_metadata(obj: dict[str, Any]) -> Iterator[str]:
    """KNV1010, KNV1011, KNV1005: Config Sync's own labels and annotations."""
    meta = _metadata(obj)
    for key in meta.get("labels", {}) or {}:
        if key.startswith(CONFIG_SYNC_PREFIXES):
            yield f"has reserved label {key!r} (KNV1011)"
    annotations = meta.get("annotations", {}) or {}
    for key in annotations:
        if key.startswith(CONFIG_SYNC_PREFIXES) and key not in ALLOWED_ANNOTATIONS:
            yield f"has reserved annotation {key!r} (KNV1010)"
    managed = annotations.get("configmanagement.gke.io/managed")
    if managed is not None and managed != "disabled":
        yield (f"configmanagement.gke.io/managed is {managed!r}, only 'disabled' is allowed "
               "(KNV1005)")


def scope(obj: dict[str, Any]) -> Iterator[str]:
    """KNV1052 and namespace defaulting: cluster-scoped objects have no namespace, namespaced
    ones always name theirs."""
    cluster_scoped = (group_of(obj), obj.get("kind")) in CLUSTER_SCOPED
    has_namespace = "namespace" in _metadata(obj)
    if cluster_scoped and has_namespace:
        yield "is cluster-scoped but has metadata.namespace (KNV1052)"
    if not cluster_scoped and not has_namespace:
        yield "is namespaced but has no metadata.namespace (it would land in `default`)"


def names(obj: dict[str, Any]) -> Iterator[str]:
    """KNV1031, KNV1036, KNV1020: names and namespaces are valid."""
    meta = _metadata(obj)
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        yield "has no metadata.name (KNV1031)"
    elif (group_of(obj), obj.get("kind")) in LABEL_NAMED:
        if len(name) > 63 or not _LABEL.match(name):
            yield f"name {name!r} is not a DNS-1123 label (KNV1036)"
    elif len(name) > 253 or not _SUBDOMAIN.match(name):
        yield f"name {name!r} is not a DNS-1123 subdomain (KNV1036)"
    namespace = meta.get("namespace")
    if namespace is not None and (len(namespace) > 63 or not _LABEL.match(namespace)):
        yield f"namespace {namespace!r} is not a DNS-1123 label (KNV1020)"


def reserved_namespace(obj: dict[str, Any]) -> Iterator[str]:
    """KNV1034: Config Sync's own namespaces are never declared in a root."""
    if obj.get("kind") == "Namespace" and _metadata(obj).get("name") in RESERVED_NAMESPACES:
        yield f"declares reserved namespace {_metadata(obj)['name']!r} (KNV1034)"


OBJECT_RULES: tuple[Callable[[dict[str, Any]], Iterable[str]], ...] = (
    no_server_fields, no_reserved_metadata, scope, names, reserved_namespace,
)


def identity(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = _metadata(obj)
    return (group_of(obj), str(obj.get("kind")), str(meta.get("namespace", "")),
            str(meta.get("name")))


def check_object(obj: dict[str, Any]) -> list[str]:
    return [message for rule in OBJECT_RULES for message in rule(obj)]


def duplicate_identities(
        objects: Iterable[tuple[str, tuple[str, str, str, str]]]) -> Iterator[tuple[str, str]]:
    """KNV1029: one object per group, kind, namespace and name in a root."""
    seen: dict[tuple[str, str, str, str], str] = {}
    for path, key in objects:
        if key in seen:
            yield path, f"duplicates the object in {seen[key]} (KNV1029)"
        seen.setdefault(key, path)
