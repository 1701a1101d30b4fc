"""Every rendered tree (examples and golden cases) is what Config Sync and GKE accept:
each environment root builds with the real `kubectl kustomize`, lists every file, and each
object passes the upstream schemas kept in tests/upstream-schemas/ (sources in its README)."""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path

import jsonschema
import pytest
import yaml

from generator.output.layout import RESERVED_FOLDERS
from generator.output.shard_record import RECORD
from generator.output.sharding import SHARD_PREFIX, TENANT_PREFIX
from generator.output.text import HEADER_MARK
from generator.spec.yamlio import load_plain
from generator.verify import kubernetes_api
from tests.conftest import CASES, ROOT, UPSTREAM_SCHEMAS, golden_cases

TREES = {"examples": ROOT / "rendered",
         **{case: CASES / case / "expected" for case in golden_cases()}}
ENVIRONMENTS = [(name, root) for name, tree in TREES.items()
                for root in sorted(p for p in tree.iterdir() if p.name not in RESERVED_FOLDERS)]
# every Config Sync root: each environment's own, and its shard roots (output/sharding.py)
SUB_ROOTS = (SHARD_PREFIX, TENANT_PREFIX)  # shard roots, namespaces' own roots
ROOTS = [(name, root) for name, env in ENVIRONMENTS
         for root in [env, *sorted(p for p in env.iterdir()
                                   if p.is_dir() and p.name.startswith(SUB_ROOTS))]]


def _yaml_files(folder: Path) -> list[Path]:
    """The object files of a root: not its shards' (roots of their own), not the record."""
    return sorted(p for p in folder.rglob("*.yaml")
                  if p.name != RECORD and not any(part.startswith(SUB_ROOTS)
                                                  for part in p.relative_to(folder).parts))


@pytest.mark.parametrize(("tree", "root"), ROOTS, ids=[f"{t}:{r.name}" for t, r in ROOTS])
def test_environment_root_builds_with_kubectl_kustomize(kubectl: str, tree: str,
                                                        root: Path) -> None:
    built = subprocess.run([kubectl, "kustomize", str(root)], capture_output=True, text=True,
                           check=False)
    assert built.returncode == 0, built.stderr
    objects = [d for d in yaml.safe_load_all(built.stdout) if d]
    files = [f for f in _yaml_files(root) if f.name != "kustomization.yaml"]
    assert len(objects) == len(files)  # one object per file, none dropped


@pytest.mark.parametrize(("tree", "root"), ROOTS, ids=[f"{t}:{r.name}" for t, r in ROOTS])
def test_kustomization_lists_every_file(tree: str, root: Path) -> None:
    # Config Sync silently ignores files a kustomization does not list.
    listed = load_plain((root / "kustomization.yaml").read_text())["resources"]
    present = [f.relative_to(root).as_posix() for f in _yaml_files(root)
               if f.name != "kustomization.yaml"]
    assert sorted(listed) == sorted(present)


ALL_FILES = [(name, f) for name, tree in TREES.items() for f in sorted(tree.rglob("*.yaml"))
             if f.name != RECORD]


def _synced_dirs(objects: list[dict[str, object]]) -> list[str]:
    return [o["spec"]["git"]["dir"] for o in objects  # type: ignore[index]
            if o.get("kind") in ("RootSync", "RepoSync")]


@pytest.mark.parametrize("tree", sorted(TREES))
def test_every_root_is_reachable_from_the_bootstrap_root_syncs(kubectl: str, tree: str) -> None:
    """The bootstrap RootSyncs sync the environments' roots, whose RootSyncs and RepoSyncs
    sync every other root: none is left out, and none points at a folder that is no root."""
    folder = TREES[tree]
    dirs = _synced_dirs([load_plain(p.read_text()) for p in (folder / "bootstrap").glob("*")])
    prefix = dirs[0].rsplit("/", 1)[0] + "/"  # configSync.dir: where the tree is in Git
    reached: set[str] = set()
    while dirs:
        synced = dirs.pop().removeprefix(prefix)
        if synced in reached:
            continue
        reached.add(synced)
        built = subprocess.run([kubectl, "kustomize", str(folder / synced)],
                               capture_output=True, text=True, check=True)
        dirs += _synced_dirs([d for d in yaml.safe_load_all(built.stdout) if d])
    assert reached == {r.relative_to(folder).as_posix() for t, r in ROOTS if t == tree}


@cache
def _upstream_validator(api_version: str, kind: str) -> jsonschema.Draft202012Validator | None:
    group, _, version = api_version.rpartition("/")
    path = UPSTREAM_SCHEMAS / (group or "core") / f"{kind.lower()}_{version}.json"
    if not path.is_file():
        return None
    return jsonschema.Draft202012Validator(json.loads(path.read_text()))


@pytest.mark.parametrize(("tree", "file"), ALL_FILES,
                         ids=[f"{t}:{f.relative_to(TREES[t])}" for t, f in ALL_FILES])
def test_objects_pass_upstream_schemas(tree: str, file: Path) -> None:
    if file.parent.name == "dashboards":
        return  # not a Kubernetes object: checked against infergen's own dashboard schema
    obj = load_plain(file.read_text())
    validator = _upstream_validator(obj["apiVersion"], obj["kind"])
    if validator is None:
        return  # built-in kinds are checked against the Kubernetes API by verify itself
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(obj)]
    assert not errors


def test_upstream_schemas_cover_every_custom_kind_we_render() -> None:
    objects = [load_plain(f.read_text()) for _, f in ALL_FILES if f.parent.name != "dashboards"]
    custom = {(o["apiVersion"], o["kind"]) for o in objects if o["kind"] != "Kustomization"
              and kubernetes_api.validator("1.33", o["apiVersion"], o["kind"]) is None}
    missing = sorted(k for k in custom if _upstream_validator(*k) is None)
    assert not missing


@pytest.mark.parametrize(("tree", "file"), ALL_FILES,
                         ids=[f"{t}:{f.relative_to(TREES[t])}" for t, f in ALL_FILES])
def test_file_is_one_generated_object_with_a_header(tree: str, file: Path) -> None:
    text = file.read_text()
    assert text.startswith(HEADER_MARK + " from ")
    assert "\n---" not in text
    obj = load_plain(text)
    if file.parent.name == "dashboards":
        assert list(obj) in (["displayName", "mosaicLayout"],
                             ["dashboardFilters", "displayName", "mosaicLayout"])
        return
    assert list(obj)[:2] == ["apiVersion", "kind"]
    assert "status" not in obj
