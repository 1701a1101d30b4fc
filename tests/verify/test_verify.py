"""verify: a rendered object the API or Config Sync would reject is reported as a bug in
infergen (exit code 3) and nothing is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.objects import MODEL_BUILDERS, workload
from generator.verify import configsync_rules, kubernetes_api
from tests.conftest import CASES

SPECS = CASES / "fixed-size-t4" / "specs"


def _broken_service(status: dict[str, Any] | None = None,
                    typo: bool = False) -> Any:
    def build(plan: Any, catalog: Any) -> dict[str, Any]:
        obj = workload.service(plan, catalog)
        if status is not None:
            obj["status"] = status
        if typo:
            obj["spec"]["prots"] = obj["spec"].pop("ports")
        return obj
    return build


@pytest.mark.parametrize(("change", "message"), [
    ({"typo": True}, "Additional properties are not allowed ('prots' was unexpected)"),
    ({"status": {"loadBalancer": {}}}, "has a status (KNV1045)"),
])
def test_an_invalid_rendered_object_is_a_bug_and_nothing_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: dict[str, Any],
        message: str) -> None:
    builders = tuple(_broken_service(**change) if b is workload.service else b
                     for b in MODEL_BUILDERS)
    monkeypatch.setattr("generator.objects.MODEL_BUILDERS", builders)
    out = tmp_path / "rendered"
    result = CliRunner().invoke(main, ["render", "--specs", str(SPECS), "--out", str(out)])
    assert result.exit_code == 3
    assert "error[verify]" in result.output and message in result.output
    assert "this is a bug in infergen" in result.output
    assert not out.exists()


@pytest.mark.parametrize(("obj", "expected"), [
    ({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "n",
      "uid": "x", "labels": {"configsync.gke.io/x": "y"}}},
     ["has metadata.uid (KNV1045)", "has reserved label 'configsync.gke.io/x' (KNV1011)"]),
    ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "config-management-system",
      "namespace": "x"}},
     ["is cluster-scoped but has metadata.namespace (KNV1052)",
      "declares reserved namespace 'config-management-system' (KNV1034)"]),
    ({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "Bad_Name",
      "annotations": {"configmanagement.gke.io/managed": "enabled",
                      "configsync.gke.io/cluster-name-selector": "a"}}},
     ["configmanagement.gke.io/managed is 'enabled', only 'disabled' is allowed (KNV1005)",
      "is namespaced but has no metadata.namespace (it would land in `default`)",
      "name 'Bad_Name' is not a DNS-1123 label (KNV1036)"]),
])
def test_config_sync_rules(obj: dict[str, Any], expected: list[str]) -> None:
    assert configsync_rules.check_object(obj) == expected


def test_duplicates_in_a_root() -> None:
    obj = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "n"}}
    found = list(configsync_rules.duplicate_identities(
        [("x.yaml", configsync_rules.identity(obj)),
         ("y.yaml", configsync_rules.identity(dict(obj)))]))
    assert found == [("y.yaml", "duplicates the object in x.yaml (KNV1029)")]


def test_kubernetes_version_picks_the_newest_bundled_schema_not_newer() -> None:
    newest = kubernetes_api.bundled_versions()[-1]
    assert kubernetes_api.schema_version("1.33") == "1.33"
    assert kubernetes_api.schema_version("1.99") == f"{newest[0]}.{newest[1]}"
    assert kubernetes_api.schema_version("1.2") is None


def test_validators_are_built_once_per_kind_and_version() -> None:
    first = kubernetes_api.validator("1.33", "apps/v1", "Deployment")
    assert first is kubernetes_api.validator("1.33", "apps/v1", "Deployment")
    assert kubernetes_api.validator("1.33", "networking.gke.io/v1", "HealthCheckPolicy") is None


def test_duplicates_among_groups_finds_what_duplicates_finds() -> None:
    """The set per environment only decides whether to look: the findings are duplicates()'."""
    from generator.verify import duplicates, duplicates_among
    same = ("", "Service", "n", "a")
    other = ("", "Service", "n", "b")
    groups = [(("dev/n/a/service.yaml", "dev/n/a/x.yaml"), (same, None)),
              (("dev/_shard-001/n/b/service.yaml",), (same,)),
              (("prod/n/a/service.yaml",), (same,)),  # another environment: no clash
              (("prod/n/b/service.yaml",), (other,))]
    found = duplicates_among(groups, "out")
    pairs = [(path, identity) for paths, identities in groups
             for path, identity in zip(paths, identities, strict=True)]
    assert found == duplicates(pairs, "out")
    assert [d.file for d in found] == ["out/dev/_shard-001/n/b/service.yaml"]
    assert "duplicates the object in dev/n/a/service.yaml" in found[0].message
    assert duplicates_among(groups[2:], "out") == []
