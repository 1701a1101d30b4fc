"""The catalog is checked against its own JSON Schema (generator/catalog/schema.json), and
the typed Kubernetes facts read from it are the ones the builders write."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml

from generator import catalog

FILES = ("accelerators", "engines", "gke", "kubernetes")


def _schema() -> dict[str, Any]:
    text = resources.files("generator.catalog").joinpath("schema.json").read_text("utf-8")
    found: dict[str, Any] = json.loads(text)
    return found


def _data(name: str) -> Any:
    text = resources.files("generator.catalog").joinpath(f"{name}.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _errors(name: str, data: Any) -> list[str]:
    schema = _schema()
    validator = jsonschema.Draft202012Validator({"$ref": f"#/$defs/{name}",
                                                 "$defs": schema["$defs"]})
    return [error.message for error in validator.iter_errors(data)]


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(_schema())


@pytest.mark.parametrize("name", FILES)
def test_each_catalog_file_matches_the_schema(name: str) -> None:
    assert _errors(name, _data(name)) == []


@pytest.mark.parametrize(("name", "damage"), [
    ("kubernetes", lambda d: d["apiVersions"].update(Deployment="apps/v1 ")),
    ("kubernetes", lambda d: d.update(apiVersion={})),
    ("kubernetes", lambda d: d["clusterScoped"].append({"group": "", "kind": "x"})),
    ("gke", lambda d: d.update(configsync=d["configSync"])),
    ("engines", lambda d: d["engines"]["vllm"].update(prot=8000)),
    ("engines", lambda d: d["engines"]["vllm"].pop("port")),
    ("accelerators", lambda d: d["gpus"]["nvidia-l4"].update(memoryGb=24)),
])
def test_a_misspelt_or_missing_fact_is_refused(name: str, damage: Any) -> None:
    data = _data(name)
    damage(data)
    assert _errors(name, data)


def test_every_api_version_infergen_writes_comes_from_the_catalog() -> None:
    facts = catalog.load().kubernetes
    assert facts.api("Deployment") == "apps/v1"
    assert ("", "Namespace") in facts.cluster_scoped
    with pytest.raises(KeyError):
        facts.api("NoSuchKind")
