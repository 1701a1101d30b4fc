"""Step 6: check every rendered object before anything is written.

Built-in kinds against the Kubernetes API (strict), custom resources against the schemas in
schemas/crds/, synced roots against Config Sync's rules. The specs were valid by now, so
any failure here is a bug in infergen and is reported as one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from generator.catalog import load
from generator.catalog.maxtext import maxtext
from generator.diagnostics import Diagnostic, dotted
from generator.output.layout import BOOTSTRAP, DASHBOARDS, Rendered
from generator.spec import fast_schema as fast
from generator.spec.schema_store import crd_validator
from generator.verify import configsync_rules, engine_contract, kubernetes_api, maxtext_keys

STEP = "verify"
_API = load().kubernetes.api  # catalog/kubernetes.yaml
DASHBOARD = (_API("Dashboard"), "Dashboard")  # infergen's schema of its subset
BUG_HINT = "this is a bug in infergen: please report it with the spec that caused it"


def _name(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    name = meta.get("name", "?") if isinstance(meta, dict) else "?"
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    return f"{obj.get('kind')} {namespace}/{name}" if namespace else f"{obj.get('kind')} {name}"


# Pod templates inside custom resources, checked against the Kubernetes API itself.
EMBEDDED_POD_TEMPLATES = {
    (_API("LeaderWorkerSet"), "LeaderWorkerSet"): (
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


def check_item(item: Rendered, version: str, out: str) -> list[Diagnostic]:
    """Problems of one rendered object on its own (the API schema, Config Sync's rules)."""
    problems: list[Diagnostic] = []

    def report(path: str, message: str) -> None:
        problems.append(Diagnostic(f"{out}/{item.path}", 0, 0, path,
                                   f"generated {_name(item.obj)} {message}", STEP, BUG_HINT))

    root = item.path.split("/", 1)[0]
    if root == DASHBOARDS:  # Cloud Monitoring's own format, not a Kubernetes object
        for path, message in _errors(crd_validator(*DASHBOARD), item.obj):
            report(path, message)
        return problems + _widget_limit(item.obj, report)
    if item.obj.get("kind") == "MonitoringDashboard":  # the same body, as Config Connector's
        _widget_limit(item.obj.get("spec") or {}, report)
    for path, message in _schema_errors(item.obj, version):
        report(path, message)
    if synced(item) is not None:
        for message in configsync_rules.check_object(item.obj):
            report("", message)
    return problems


def _widget_limit(board: dict[str, Any], report: Any) -> list[Diagnostic]:
    """Cloud Monitoring refuses a dashboard of more widgets than its limit (catalog
    observability.yaml): one over it is a bug, whatever the fleet's size."""
    limit = load().observability.dashboards.max_widgets
    count = len((board.get("mosaicLayout") or {}).get("tiles") or [])
    if count > limit:
        report("mosaicLayout.tiles", f"has {count} widgets; Cloud Monitoring takes at most "
                                     f"{limit} on a dashboard")
    return []


def check_engine(item: Rendered, engine: str, out: str,
                 user_args: tuple[str, ...] = ()) -> list[Diagnostic]:
    """A model's workload against its engine's contract (engine_contract)."""
    if item.obj.get("kind") not in engine_contract.WORKLOAD_KINDS:
        return []
    return [Diagnostic(f"{out}/{item.path}", 0, 0, "spec.template.spec.containers",
                       f"generated {_name(item.obj)} {message}", STEP, BUG_HINT)
            for message in engine_contract.problems(engine, item.obj, user_args)
            + (maxtext_keys.problems(item.obj) if engine == maxtext().engine else [])]


Identity = tuple[str, str, str, str]


def synced(item: Rendered) -> Identity | None:
    """The object's identity when Config Sync syncs it from a root, else None."""
    root = item.path.split("/", 1)[0]
    if root in (DASHBOARDS, BOOTSTRAP) or item.obj.get("kind") == "Kustomization":
        return None
    return configsync_rules.identity(item.obj)


def duplicates(objects: list[tuple[str, Identity | None]], out: str) -> list[Diagnostic]:
    """KNV1029 across each root, from (path, synced identity) in rendered order."""
    roots: dict[str, list[tuple[str, Identity]]] = defaultdict(list)
    for path, identity in objects:
        if identity is not None:
            roots[path.split("/", 1)[0]].append((path, identity))
    return [Diagnostic(f"{out}/{path}", 0, 0, "", message, STEP, BUG_HINT)
            for listed in roots.values()
            for path, message in configsync_rules.duplicate_identities(listed)]


def duplicates_among(groups: Iterable[tuple[Sequence[str], Sequence[Identity | None]]],
                     out: str) -> list[Diagnostic]:
    """duplicates() over groups of (paths, identities) in rendered order, each group in
    one environment (a model's files): a set per environment says whether there is any,
    and only then are they found one by one."""
    listed = [(paths, identities) for paths, identities in groups if paths]
    by_env: dict[str, list[Identity | None]] = defaultdict(list)
    for paths, identities in listed:
        by_env[paths[0].split("/", 1)[0]].extend(identities)
    for identities in by_env.values():
        synced_ones = [i for i in identities if i is not None]
        if len(set(synced_ones)) != len(synced_ones):
            return duplicates([pair for paths, identities in listed
                               for pair in zip(paths, identities, strict=True)], out)
    return []


def unsupported(kubernetes_version: str, out: str) -> list[Diagnostic]:
    return [Diagnostic(out, 0, 0, "", f"no Kubernetes {kubernetes_version} API schemas "
                       "installed", STEP, "upgrade kubernetes-validate")]
