"""Every rendered engine container against its engine's contract: each flag known to the
pinned release, no flag or env name twice (aliases included), no exclusive pair, every
path the engine writes at start on a mounted volume. The specs were checked by now, so a
failure is a bug in infergen, reported as one (exit 3)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.catalog.engine_contracts import ENGINE_CONTAINER, Contract, contract, split_args

WORKLOAD_KINDS = ("Deployment", "LeaderWorkerSet")


def pod_specs(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    spec = obj.get("spec", {})
    if obj.get("kind") == "Deployment":
        yield spec.get("template", {}).get("spec", {})
    elif obj.get("kind") == "LeaderWorkerSet":
        templates = spec.get("leaderWorkerTemplate", {})
        for role in ("leaderTemplate", "workerTemplate"):
            if role in templates:
                yield templates[role].get("spec", {})


def served_args(container: dict[str, Any]) -> list[str]:
    """The engine's own arguments (a multi-host group's pods too: its join flags are
    arguments, catalog multiHostArgs)."""
    return list(container.get("args", []))


def _covered(path: str, mounts: list[str]) -> bool:
    return any(path == m or path.startswith(m.rstrip("/") + "/") for m in mounts)


def problems(engine: str, obj: dict[str, Any], user_args: tuple[str, ...] = ()) -> list[str]:
    """What breaks `engine`'s contract in a rendered workload object. Flags from the spec's
    own server.args were judged by the check step (an unknown one renders only with the
    user's own server.image, as a warning)."""
    terms = contract(engine)
    found: list[str] = []
    for pod in pod_specs(obj):
        engines = [c for c in pod.get("containers", []) if c.get("name") == ENGINE_CONTAINER]
        if engines and pod.get("enableServiceLinks") is not False:
            found.append("pod has Service env vars (enableServiceLinks is not false)")
        for container in engines:
            found += _container(terms, container, {f for _, f, _ in split_args(list(user_args))})
    return found


def _container(terms: Contract | None, container: dict[str, Any],
               user_flags: set[str]) -> list[str]:
    found: list[str] = []
    env = [e["name"] for e in container.get("env", [])]
    key = terms.key if terms is not None else (lambda n: n)
    args = served_args(container)
    names = [*env, *(flag for _, flag, _ in split_args(args))]
    keys = [key(n) for n in names]
    # a user's own repeat (server.args) was judged by the check step, against the parser
    found += [f"sets {name} twice (or under two names)"
              for name, k in zip(names, keys, strict=True)
              if keys.count(k) > 1 and not any(key(f) == k for f in user_flags)]
    if terms is None:
        return sorted(set(found))
    found += [f"passes {flag}, which {terms.engine} {terms.version} does not define"
              for _, flag, _ in split_args(args)
              if not terms.known(flag) and flag not in user_flags]
    for rule in terms.exclusive:
        if all(terms.key(n) in keys for n in rule["names"]):
            found.append(f"sets {' and '.join(rule['names'])}: {rule['reason']}")
    mounts = [m["mountPath"] for m in container.get("volumeMounts", [])]
    for writable in terms.writable:
        path = writable.get("path")
        if "flag" in writable:
            values = [v for _, f, v in split_args(args) if f == writable["flag"]]
            path = values[0] if values else None
            if path is None:
                found.append(f"does not set {writable['flag']}: {writable['why']}")
                continue
        if path is not None and not _covered(path, mounts):
            found.append(f"writes {path} at start ({writable['why']}) with no volume there")
    return sorted(set(found))
