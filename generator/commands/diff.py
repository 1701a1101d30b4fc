"""`infergen diff`: what a change to the specs does to the rendered tree, for a pull request.

Pure: two rendered trees ({path: text}) in, a Report out, printed as Markdown (a PR comment)
or JSON. Per environment: objects added, removed and changed; for changed objects the
fields a reviewer cares about and the full YAML diff; risky changes called out on top.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from generator.catalog import Catalog
from generator.commands import diff_capacity
from generator.output.layout import BOOTSTRAP, DASHBOARDS, RESERVED_FOLDERS
from generator.output.shard_record import RECORD
from generator.output.sharding import split_path
from generator.spec.yamlio import load_plain

HEADINGS = {BOOTSTRAP: "bootstrap (RootSyncs, applied by hand)",
            DASHBOARDS: "dashboards (Cloud Monitoring, applied by hand)"}
COMMENT_LIMIT = 60_000  # GitHub refuses comments over 65536 characters
REPLICA_FIELDS = ("replicas", "minReplicas", "maxReplicas", "size")

FieldPath = tuple[str, ...]


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ObjectChange:
    path: str  # inside the rendered tree
    object: str  # "Deployment llm/qwen3-8b"
    status: str  # added | removed | changed
    fields: list[FieldChange] = field(default_factory=list)
    diff: str = ""


@dataclass(frozen=True)
class Report:
    base: str
    environments: dict[str, list[ObjectChange]]
    risks: list[str]
    # per environment: accelerators and list price before -> after (commands/diff_capacity.py)
    capacity: dict[str, dict[str, Any]] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(c.status == status for items in self.environments.values() for c in items)


# ------------------------------------------------------------------ reading objects

def _parse(text: str) -> dict[str, Any]:
    data = load_plain(text)
    return data if isinstance(data, dict) else {}


def title(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    name = f"{meta['namespace']}/{meta.get('name')}" if "namespace" in meta else meta.get("name")
    return f"{obj.get('kind')} {name}"


def flatten(value: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, Any]]:
    """Leaves of an object; list items with a `name` are addressed by it, lists of plain
    values are one leaf."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from flatten(inner, (*path, str(key)))
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        for index, inner in enumerate(value):
            named = isinstance(inner, dict) and isinstance(inner.get("name"), str)
            yield from flatten(inner, (*path, f"[{inner['name'] if named else index}]"))
    else:
        yield path, value


def dotted(path: FieldPath) -> str:
    return "".join(p if p.startswith("[") else f".{p}" for p in path).lstrip(".")


def matters(kind: str, path: FieldPath) -> bool:
    """Images, node selectors (accelerator, capacity, ComputeClass), resources (GPU/TPU
    counts, CPU, memory), replicas and autoscaling bounds, ComputeClass priorities."""
    return bool(path) and (
        path[-1] == "image" or "nodeSelector" in path or "resources" in path
        or (path[-1] in REPLICA_FIELDS and len(path) <= 3)
        or (kind == "ComputeClass" and "priorities" in path))


RUNTIME_ADAPTERS = "adapters loaded at run time (the LoRA syncer applies them; no pod restarts)"


def runtime_adapters(obj: dict[str, Any], catalog: Catalog) -> list[str] | None:
    """The adapter ids of a LoRA syncer's ConfigMap (objects/lora_syncer.py), else None."""
    syncer = catalog.gke.lora_syncer
    text = (obj.get("data") or {}).get(syncer.config_key) if obj.get("kind") == "ConfigMap" \
        else None
    config = _parse(text).get(syncer.config_root) if isinstance(text, str) else None
    if not isinstance(config, dict):
        return None
    models = (config.get("ensureExist") or {}).get("models") or []
    return [str(m.get("id")) for m in models if isinstance(m, dict)]


def important_changes(old: dict[str, Any], new: dict[str, Any],
                      catalog: Catalog | None = None) -> list[FieldChange]:
    before, after = dict(flatten(old)), dict(flatten(new))
    kind = str(new.get("kind"))
    found = [FieldChange(dotted(p), before.get(p), after.get(p))
             for p in sorted(set(before) | set(after), key=dotted)
             if before.get(p) != after.get(p) and matters(kind, p)]
    if catalog is not None:
        was, now = runtime_adapters(old, catalog), runtime_adapters(new, catalog)
        if now is not None and was != now:
            found.append(FieldChange(RUNTIME_ADAPTERS, was, now))
    return found


def accelerator(obj: dict[str, Any], catalog: Catalog) -> str:
    """What the pods run on ("nvidia-l4, nvidia.com/gpu: 2"), or "" for none."""
    labels = set(catalog.gke.labels.accelerator_keys())
    devices = set(catalog.gke.resources.values())
    found: dict[str, str] = {}
    for path, value in flatten(obj):
        if len(path) >= 2 and path[-2] == "nodeSelector" and path[-1] in labels:
            found[path[-1]] = str(value)
        if len(path) >= 3 and path[-3:-1] == ("resources", "limits") and path[-1] in devices:
            found[path[-1]] = f"{path[-1]}: {value}"
    return ", ".join(found[k] for k in sorted(found, key=lambda k: (k in devices, k)))


# ------------------------------------------------------------------ comparing trees

def _environment(path: str) -> str:
    return path.split("/", 1)[0]


def _is_model_object(path: str) -> bool:
    # <env>[/_shard-NNN]/<namespace>/<model>/<kind>.yaml
    return split_path(path)[1].count("/") == 2


def _model_roots(tree: dict[str, str]) -> dict[tuple[str, str], str]:
    """(environment, "ns/model") -> the folder of the root its objects are in."""
    found = {}
    for path in tree:
        root, inner = split_path(path)
        parts = inner.split("/")
        if len(parts) == 3 and not parts[1].startswith("_"):  # not _shared, _sync
            found[_environment(path), f"{parts[0]}/{parts[1]}"] = root
    return found


def _moves(base: dict[str, str], head: dict[str, str], catalog: Catalog) -> Iterator[str]:
    """A model whose objects change root: one commit deletes and recreates them. A move
    `render --move` prepared left them annotated unmanaged (as their YAML says it)."""
    unmanaged = [f"{key}: {value}" for key, value in
                 catalog.gke.config_sync.unmanaged_annotation.items()]
    after = _model_roots(head)
    for (env, model), root in sorted(_model_roots(base).items()):
        now = after.get((env, model))
        if now is None or now == root:
            continue
        prepared = any(all(line in text for line in unmanaged) for path, text in base.items()
                       if path.startswith(f"{root}/{model}/"))
        yield (f"model `{model}` in `{env}` moves from root `{root}` to `{now}`: "
               + ("this completes a move an earlier commit prepared (its objects were left "
                  "unmanaged); merge only once every cluster of the environment has synced "
                  "that commit" if prepared else
                  "in one commit Config Sync deletes and recreates its objects; prepare it "
                  "with `infergen render --move` in a commit of its own"))


def _unified(path: str, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                        f"a/{path}", f"b/{path}"))


def _risks(base: dict[str, str], head: dict[str, str], catalog: Catalog,
           changed: dict[str, tuple[Any, Any]]) -> list[str]:
    """`changed`: each path in both trees whose text changed, parsed (old, new)."""
    risks = []
    envs = sorted({_environment(p) for p in base} - set(RESERVED_FOLDERS))
    for env in envs:
        had = any(_is_model_object(p) and _environment(p) == env for p in base)
        has = any(_is_model_object(p) and _environment(p) == env for p in head)
        if had and not has:
            risks.append(f"environment `{env}` loses all its models: Config Sync deletes "
                         f"everything it synced from its root on every cluster of `{env}`")
    for path in sorted(base):
        parts = path.split("/")
        if len(parts) == 3 and parts[1] == "namespaces" and path not in head:
            risks.append(f"namespace `{parts[2].removesuffix('.yaml')}` is removed from "
                         f"`{parts[0]}`: Config Sync deletes it and everything in it")
    risks += _moves(base, head, catalog)
    for path, (old, new) in sorted(changed.items()):
        if not _is_model_object(path):
            continue
        was, now = accelerator(old, catalog), accelerator(new, catalog)
        if was and now and was != now:
            risks.append(f"`{title(new)}` in `{_environment(path)}` changes accelerator "
                         f"from `{was}` to `{now}`: its pods restart on new nodes and reload "
                         "the model")
    return risks


def compare(base: dict[str, str], head: dict[str, str], catalog: Catalog,
            base_name: str) -> Report:
    environments: dict[str, list[ObjectChange]] = {}
    changed = {path: (_parse(base[path]), _parse(head[path]))
               for path in set(base) & set(head) if base[path] != head[path]}
    for path in sorted(set(base) | set(head)):
        if path.endswith(("/kustomization.yaml", f"/{RECORD}")) or \
                base.get(path) == head.get(path):
            continue  # the kustomization only lists the files; the record, where they are
        if path not in base:
            change = ObjectChange(path, title(_parse(head[path])), "added")
        elif path not in head:
            change = ObjectChange(path, title(_parse(base[path])), "removed")
        else:
            old, new = changed[path]
            change = ObjectChange(path, title(new), "changed",
                                  important_changes(old, new, catalog),
                                  _unified(path, base[path], head[path]))
        environments.setdefault(_environment(path), []).append(change)
    ordered = dict(sorted(environments.items(),
                          key=lambda kv: (kv[0] in RESERVED_FOLDERS, kv[0])))
    return Report(base_name, ordered, _risks(base, head, catalog, changed))


def with_capacity(report: Report, capacity: dict[str, dict[str, Any]]) -> Report:
    """The report with its capacity sections, and their RISK lines among the others."""
    risks = [risk for section in capacity.values() for risk in section["risks"]]
    return Report(report.base, report.environments, report.risks + risks, capacity)


# ------------------------------------------------------------------ printing

def as_json(report: Report) -> str:
    return json.dumps(asdict(report), indent=2)


def _code(value: Any) -> str:
    text = "(none)" if value is None else (
        value if isinstance(value, str) else json.dumps(value))
    return f"`{text}`" if "`" not in text else f"`` {text} ``"


def _fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _summary(report: Report) -> str:
    return (f"{report.count('added')} added, {report.count('removed')} removed, "
            f"{report.count('changed')} changed")


def _environment_section(env: str, changes: list[ObjectChange], full: bool,
                         capacity: dict[str, Any] | None = None) -> list[str]:
    counts = {s: sum(c.status == s for c in changes) for s in ("added", "removed", "changed")}
    heading = HEADINGS.get(env, env)
    lines = [f"### {heading}: {counts['added']} added, {counts['removed']} removed, "
             f"{counts['changed']} changed", ""]
    if capacity is not None:
        lines += diff_capacity.markdown(env, capacity) + ["#### Objects", ""]
    lines += ["| change | object | file |", "|---|---|---|"]
    lines += [f"| {c.status} | `{c.object}` | `{c.path}` |" for c in changes]
    for change in (c for c in changes if c.status == "changed"):
        lines += ["", f"**`{change.object}`** (`{change.path}`)"]
        lines += [f"- `{f.field}`: {_code(f.old)} → {_code(f.new)}" for f in change.fields]
        if not change.fields:
            lines.append("- no image, accelerator, replica, capacity or resource change")
        if full:
            fence = _fence(change.diff)
            lines += ["", "<details><summary>Full YAML diff</summary>", "",
                      f"{fence}diff", change.diff.rstrip("\n"), fence, "", "</details>"]
    return lines + [""]


def markdown(report: Report, full: bool = True) -> str:
    lines = ["## infergen diff", ""]
    if not report.environments:
        lines.append(f"No change to the rendered tree (compared with `{report.base}`).")
        return "\n".join(lines) + "\n"
    lines += [f"Rendered objects compared with `{report.base}`: {_summary(report)}.", ""]
    if report.risks:
        lines += ["> [!CAUTION]"] + [f"> **RISK**: {risk}  " for risk in report.risks]
        lines[-1] = lines[-1].rstrip()
        lines.append("")
    for env, changes in report.environments.items():
        lines += _environment_section(env, changes, full, report.capacity.get(env))
    text = "\n".join(lines)
    if full and len(text) > COMMENT_LIMIT:
        return markdown(report, full=False).rstrip("\n") + (
            "\n\n_Full YAML diffs left out: too long for a comment. Run `infergen diff` "
            "locally to see them._\n")
    return text.rstrip("\n") + "\n"
