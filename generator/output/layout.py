"""The rendered tree's shape: where each object goes, and the record of one object in it.

Layout of the tree (paths relative to the output folder):
    <env>/kustomization.yaml                 lists every file of the root
    <env>/namespaces/<namespace>.yaml
    <env>/<namespace>/<model>/<kind>.yaml    one object per file
    <env>/cluster/<kind>-<name>.yaml         cluster-scoped objects models share
    <env>/<namespace>/_shared/<kind>-<name>.yaml   namespaced objects models share
    <env>/_shard-NNN/...                     a shard root, when the environment outgrows one
                                             (output/sharding.py): its kustomization, its
                                             marker and its models' folders, as above
    <env>/placement.yaml                     which root each model is in (sharded only)
    <env>/config-management-system/rootsync-<name>.yaml   each shard's RootSync
    <env>/_ns-<namespace>/...                a namespace's own root (tenancy: namespace)
    <env>/<namespace>/_sync/<kind>.yaml      its RepoSync and RoleBinding, in the env's root
    bootstrap/<cluster>.yaml                 the RootSync, outside every synced root
    <env>/infergen-gcp/<kind>-<name>.yaml    Config Connector objects (objects/gcp.py)
    dashboards/<env>.yaml, <env>.fleet.yaml  its Cloud Monitoring dashboards, not synced

Builders (objects/), checks, verify, write and diff all read it; it imports nothing of theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Folders beside the environment roots, never synced by Config Sync.
BOOTSTRAP, DASHBOARDS = "bootstrap", "dashboards"
RESERVED_FOLDERS = (BOOTSTRAP, DASHBOARDS)


@dataclass(frozen=True)
class Rendered:
    """One object, the file it goes to, and the specs it was generated from."""

    path: str
    obj: dict[str, Any]
    sources: tuple[str, ...]


class Deferred:
    """An object built only when it is needed: `inputs` names everything it is built from
    (a digest), so a store that kept its text, verified, need not build it at all (a
    dashboard of 10,000 models is 19 MB of YAML)."""

    __slots__ = ("path", "sources", "inputs", "_build", "_rendered")

    def __init__(self, path: str, sources: tuple[str, ...], inputs: str,
                 build: Callable[[], dict[str, Any]]) -> None:
        self.path, self.sources, self.inputs, self._build = path, sources, inputs, build
        self._rendered: Rendered | None = None

    @property
    def rendered(self) -> Rendered:
        if self._rendered is None:
            self._rendered = Rendered(self.path, self._build(), self.sources)
        return self._rendered
