"""Step 6: check every rendered object before anything is written.

Built-in kinds against the Kubernetes API (strict), custom resources against the schemas in
schemas/crds/, synced roots against Config Sync's rules. The specs were valid by now, so
any failure here is a bug in infergen and is reported as one.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from generator.build import BOOTSTRAP, DASHBOARDS, Rendered
from generator.diagnostics import Diagnostic, dotted
from generator.schema_store import crd_validator
from generator.verify import configsync_rules, fast, kubernetes_api

STEP = "verify"
DASHBOARD = ("monitoring.googleapis.com/v1", "Dashboard")  # infergen's schema of its subset
BUG_HINT = "this is a bug in infergen: please report it with the spec that caused it"


def _name(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    name = meta.get("name", "?") if isinstance(meta, dict) else "?"
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    return f"{obj.get('kind')} {namespace}/{name}" if namespace else f"{obj.get('kind')} {name}"


# Pod templates inside custom resources, checked against the Kubernetes API itself.
EMBEDDED_POD_TEMPLATES = {
    ("leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet"): (
        ("spec", "leaderWorkerTemplate", "leaderTemplate"),
        ("spec", "leaderWorkerTemplate", "workerTemplate")),
}


def _errors(validator: Any, instance: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    if fast.surely_valid(validator, instance):
        return []
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return [(dotted((*prefix, *e.absolute_path)), e.message) for e in errors]


def _schema_errors(obj: dict[str, Any], version: str) -> list[tuple[str, str]]:
    api_version, kind = str(obj.get("apiVersion")), str(obj.get("kind"))
    validator = (kubernetes_api.validator(version, api_version, kind)
                 or crd_validator(api_version, kind))
    if validator is None:
        return [("", f"has no schema to verify {api_version} {kind} against")]
    found = _errors(validator, obj)
    for path in EMBEDDED_POD_TEMPLATES.get((api_version, kind), ()):
        template: Any = obj
        for part in path:
            template = template.get(part, {}) if isinstance(template, dict) else {}
        pod_template = kubernetes_api.definition_validator(
            version, "io.k8s.api.core.v1.PodTemplateSpec")
        found += _errors(pod_template, template, path)
    return found


def verify(rendered: list[Rendered], kubernetes_version: str, out: str) -> list[Diagnostic]:
    version = kubernetes_api.schema_version(kubernetes_version)
    problems: list[Diagnostic] = []
    if version is None:
        return [Diagnostic(out, 0, 0, "", f"no Kubernetes {kubernetes_version} API schemas "
                           "installed", STEP, "upgrade kubernetes-validate")]

    def report(item: Rendered, path: str, message: str) -> None:
        problems.append(Diagnostic(f"{out}/{item.path}", 0, 0, path,
                                   f"generated {_name(item.obj)} {message}", STEP, BUG_HINT))

    roots: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for item in rendered:
        root = item.path.split("/", 1)[0]
        if root == DASHBOARDS:  # Cloud Monitoring's own format, not a Kubernetes object
            for path, message in _errors(crd_validator(*DASHBOARD), item.obj):
                report(item, path, message)
            continue
        for path, message in _schema_errors(item.obj, version):
            report(item, path, message)
        if item.obj.get("kind") == "Kustomization":
            continue
        if root != BOOTSTRAP:
            for message in configsync_rules.check_object(item.obj):
                report(item, "", message)
            roots[root].append((item.path, item.obj))
    for objects in roots.values():
        for path, message in configsync_rules.duplicates(objects):
            problems.append(Diagnostic(f"{out}/{path}", 0, 0, "", message, STEP, BUG_HINT))
    return problems
