"""The rendered tree's shape: where each object goes, and the record of one object in it.

Layout of the tree (paths relative to the output folder):
    <env>/kustomization.yaml                 lists every file of the root
    <env>/namespaces/<namespace>.yaml
    <env>/<namespace>/<model>/<kind>.yaml    one object per file
    <env>/cluster/<kind>-<name>.yaml         cluster-scoped objects models share
    <env>/<namespace>/_shared/<kind>-<name>.yaml   namespaced objects models share
    bootstrap/<cluster>.yaml                 the RootSync, outside every synced root
    dashboards/<env>.yaml                    a Cloud Monitoring dashboard, not synced

Builders (objects/), checks, verify, write and diff all read it; it imports nothing of theirs.
"""

from __future__ import annotations

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
