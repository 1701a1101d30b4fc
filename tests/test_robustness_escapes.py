"""Escapes out of a spec, refused at the spec with exit 1: a system namespace, a spec path
that cannot be shown (a newline would inject YAML into every rendered header), a file too
large to read (judged from its size on disk)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from generator.spec.load import escaped, read_raw
from generator.spec.yamlio import MAX_FILE_BYTES
from tests.conftest import ROOT
from tests.errorcases import MODEL, render

NAMESPACES = yaml.safe_load((ROOT / "generator" / "catalog" / "namespaces.yaml").read_text())


def _in(namespace: str) -> str:
    return MODEL.replace("  name: m\n", f"  name: m\n  namespace: {namespace}\n")


@pytest.mark.parametrize("namespace", [
    "kube-system", "kube-public", "default", "gke-managed-system", "gmp-system", "gmp-public",
    "config-management-system", "config-management-monitoring", "resource-group-system",
    "istio-system", "cnrm-system"])
def test_a_system_namespace_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       namespace: str) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": _in(namespace)})
    assert run.exit_code == 1, run.stderr
    assert len(run.errors) == 1 and f"error[check] metadata.namespace: namespace " \
        f"{namespace!r}" in run.errors[0], run.stderr
    assert "Traceback" not in run.stderr and run.out_after == run.out_before


def test_every_reserved_namespace_has_a_source() -> None:
    entries = NAMESPACES["exact"] + NAMESPACES["prefixes"]
    assert len(entries) >= 8 and all(e["source"].startswith("https://") for e in entries)


@pytest.mark.parametrize("namespace", ["inference", "kubeflow-models", "team-gke", "defaults"])
def test_an_ordinary_namespace_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      namespace: str) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": _in(namespace)})
    assert run.exit_code == 0, run.stderr


@pytest.mark.parametrize("name", [
    "m\nkind: ClusterRoleBinding.yaml", "m\r.yaml", "m\x1b[31m.yaml", "m\t.yaml",
    os.fsdecode(b"m\xff.yaml")])
def test_a_spec_path_that_cannot_be_shown_is_refused_by_its_escaped_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    try:
        (specs / name).write_bytes(MODEL.encode())
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system refuses the name")
    run = render(tmp_path, monkeypatch, {})
    assert run.exit_code == 1, run.stderr
    assert run.errors == [f"specs/{escaped(name)}: error[load] the file's path holds a control "
                          "character or bytes that are not UTF-8 (hint: rename it: letters, "
                          "digits, dots, dashes and underscores)"], run.stderr
    assert "Traceback" not in run.stderr and run.out_after == run.out_before
    assert "\nkind" not in run.stderr


def test_escaped_shows_every_byte() -> None:
    assert escaped("a\nb") == "a\\nb"
    assert escaped(os.fsdecode(b"a\xffb")) == "a\\xffb"
    assert escaped("modèle.yaml") == "modèle.yaml"


def test_a_huge_file_is_refused_from_its_size_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:  # sparse: 2 GiB on disk in no time
        handle.truncate(2 * 1024 ** 3)
    display, _, raw, problems = read_raw(big, tmp_path)
    assert raw is None
    assert [p.message for p in problems] == [
        f"file is {2 * 1024 ** 3} bytes, larger than the {MAX_FILE_BYTES} allowed"]


GATEWAY_MODEL = """\
apiVersion: infergen.dev/v1alpha1
kind: ModelDeployment
metadata: {{name: {name}}}
spec:
  model: {{source: hf://org/m}}
  accelerator: {{type: nvidia-l4}}
  routing: {{inferenceGateway: {gateway}}}
"""


def _gateway(name: str, gateway: bool = True) -> str:
    return GATEWAY_MODEL.format(name=name, gateway=str(gateway).lower())


def test_a_model_named_like_another_models_endpoint_picker_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"a.yaml": _gateway("x"),
                                         "b.yaml": _gateway("x-epp", False)})
    assert run.exit_code == 1, run.stderr
    assert run.errors == [
        "specs/b.yaml:3:18: error[check] metadata.name: a model's name may not end in '-epp': "
        "infergen names the endpoint picker of the model 'x' so (behind GKE Inference "
        "Gateway) (hint: rename it, for example x-epp-model)"], run.stderr
    assert run.out_after == run.out_before


def test_a_name_too_long_for_its_endpoint_picker_is_refused_at_the_spec(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"a.yaml": _gateway("a" * 63)})
    assert run.exit_code == 1, run.stderr
    assert run.errors == [
        "specs/a.yaml:3:18: error[check] metadata.name: name is 63 characters: behind GKE "
        "Inference Gateway, the endpoint picker's Service, aaaaaaaaaaaa...-epp, would be longer "
        "than 63 (hint: use at most 59 characters)"], run.stderr
    assert render(tmp_path, monkeypatch, {"a.yaml": _gateway("a" * 59)}).exit_code == 0
    assert render(tmp_path, monkeypatch, {"a.yaml": _gateway("a" * 63, False)}).exit_code == 0
