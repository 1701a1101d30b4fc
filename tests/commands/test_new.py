"""`infergen new`: the spec it writes (golden), and what it refuses: overwriting, a model
that does not fit its accelerator, a bad name or accelerator. Nothing is written then."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator.cli import main
from tests.conftest import ROOT
from tests.errorcases import PLATFORM

GOLDEN = """\
# yaml-language-server: $schema=../../schemas/modeldeployment.schema.json
apiVersion: infergen.dev/v1alpha1
kind: ModelDeployment
metadata:
  name: qwen3-8b
  namespace: llm
spec:
  model:
    source: hf://Qwen/Qwen3-8B
    parameters: 8B  # the memory-fit check, and the download disk's size
    # servedName: my-model          # the name clients ask for; default: the model id
    # cache: {size: 200Gi}          # the download disk; default: sized from parameters
    # tokenSecret: hf-token         # a Secret with a Hugging Face token, for gated models
    # maxModelLength: 8192          # context length; default: the model's own
  server:
    engine: vllm
    # volumes:                      # extra files: configMap, secret, PVC or emptyDir
    #   - {name: chat-template, mountPath: /templates, configMap: {name: my-chat-template}}
  accelerator:
    type: nvidia-l4
    count: 2
  scaling:
    minReplicas: 1
    maxReplicas: 1                  # raise it to scale on the engine's queue of requests
  # capacity: {provisioning: [spot, on-demand]}   # Spot VMs first, on-demand when none
  # deployTo: [dev]                 # default: every environment of the Platform
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder: specs/ with a Platform, schemas/ beside it."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "platform.yaml").write_text(PLATFORM, encoding="utf-8")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _new(*args: str) -> Result:
    return CliRunner().invoke(main, ["new", *args])


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.yaml"))


def test_writes_a_minimal_valid_spec(repo: Path) -> None:
    result = _new("qwen3-8b", "--engine", "vllm", "--model", "hf://Qwen/Qwen3-8B",
                  "--accelerator", "nvidia-l4:2", "--parameters", "8B", "--namespace", "llm")
    assert result.exit_code == 0, result.output
    assert result.stdout == "infergen: wrote specs/llm/qwen3-8b.yaml; `make render` renders it\n"
    assert (repo / "specs/llm/qwen3-8b.yaml").read_text(encoding="utf-8") == GOLDEN
    check = CliRunner().invoke(main, ["validate"])
    assert check.exit_code == 0 and "error" not in check.stderr, check.stderr


def test_the_hinted_fields_are_valid_when_uncommented(repo: Path) -> None:
    """The served name, cache size and extra volume the draft shows as comments render."""
    result = _new("qwen3-8b", "--engine", "vllm", "--model", "hf://Qwen/Qwen3-8B",
                  "--accelerator", "nvidia-l4:2", "--parameters", "8B", "--namespace", "llm")
    assert result.exit_code == 0, result.output
    path = repo / "specs/llm/qwen3-8b.yaml"
    hinted = ("# servedName:", "# cache:", "# volumes:", "#   - {name: chat-template")
    lines = [line.replace("# ", "", 1) if line.lstrip().startswith(hinted) else line
             for line in path.read_text(encoding="utf-8").splitlines(keepends=True)]
    path.write_text("".join(lines), encoding="utf-8")
    check = CliRunner().invoke(main, ["render", "--specs", "specs", "--out", "rendered"])
    assert check.exit_code == 0 and "error" not in check.stderr, check.stderr
    deployment = (repo / "rendered/dev/llm/qwen3-8b/deployment.yaml").read_text()
    assert "--served-model-name=my-model" in deployment and "sizeLimit: 200Gi" in deployment
    assert "name: my-chat-template" in deployment


def test_tpu_topology_and_default_namespace(repo: Path) -> None:
    result = _new("gemma", "--engine", "jetstream", "--model", "hf://google/gemma-7b",
                  "--accelerator", "tpu-v6e:2x4")
    assert result.exit_code == 0, result.output
    text = (repo / "specs/inference/gemma.yaml").read_text(encoding="utf-8")
    assert "    type: tpu-v6e\n    topology: 2x4\n" in text
    assert "  namespace: inference\n" in text


def test_refuses_to_overwrite(repo: Path) -> None:
    (repo / "specs/llm").mkdir()
    (repo / "specs/llm/m.yaml").write_text("# mine\n", encoding="utf-8")
    result = _new("m", "--model", "hf://org/m", "--accelerator", "nvidia-l4", "--namespace",
                  "llm")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "specs/llm/m.yaml: error[new] already exists; infergen new never overwrites a spec "
        "(hint: choose another name, or edit the file)"]
    assert (repo / "specs/llm/m.yaml").read_text(encoding="utf-8") == "# mine\n"


@pytest.mark.parametrize(("args", "expected"), [
    pytest.param(
        ["big", "--model", "hf://org/big", "--accelerator", "nvidia-l4", "--parameters", "70B"],
        ["specs/inference/big.yaml:10:17: error[check] spec.model.parameters: 70B parameters "
         "in bfloat16 need about 168 GB of accelerator memory; 1x nvidia-l4 has 24 GB (hint: "
         "try 2x nvidia-rtx-pro-6000, 8x nvidia-l4 or 4x nvidia-a100-80gb)",
         "infergen: specs/inference/big.yaml not written"],
        id="memory-fit"),
    pytest.param(
        ["m", "--engine", "vlm", "--model", "hf://org/m", "--accelerator", "nvidia-l4"],
        ["specs/inference/m.yaml:16:13: error[schema] spec.server.engine: 'vlm' is not one of: "
         "vllm, tgi, triton, jetstream, jetstream-maxtext, sglang, tei, custom (hint: did you "
         "mean 'vllm'?)",
         "infergen: specs/inference/m.yaml not written"],
        id="unknown-engine"),
    pytest.param(
        ["m", "--model", "hf://org/m", "--accelerator", "nvidia-l4:two"],
        ["specs/inference/m.yaml: error[new] spec.accelerator: --accelerator 'nvidia-l4:two': "
         "COUNT must be a number of devices, or a TPU topology such as 2x4 (hint: for example "
         "nvidia-l4:2)"],
        id="bad-count"),
    pytest.param(
        ["../m", "--model", "hf://org/m", "--accelerator", "nvidia-l4"],
        ["specs: error[new] metadata.name: '../m' is not valid: A DNS-1123 label - lower-case "
         "letters, digits and '-', starting and ending with a letter or digit, at most 63 "
         "characters."],
        id="name-is-not-a-path"),
])
def test_refused(repo: Path, args: list[str], expected: list[str]) -> None:
    result = _new(*args)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == expected
    assert _files(repo / "specs") == ["platform.yaml"]


def test_a_path_in_a_badly_named_folder_is_shown_escaped(repo: Path) -> None:
    """As the read step escapes a spec's path (spec/load.escaped)."""
    bad = "x\nkind: ClusterRoleBinding"
    try:
        (repo / "specs" / bad / "inference").mkdir(parents=True)
    except OSError:
        pytest.skip("this file system refuses the name")
    (repo / "specs" / bad / "inference" / "m.yaml").write_text("# mine\n", encoding="utf-8")
    result = _new("m", "--model", "hf://org/m", "--accelerator", "nvidia-l4", "--specs",
                  f"specs/{bad}")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "specs/x\\nkind: ClusterRoleBinding/inference/m.yaml: error[new] already exists; "
        "infergen new never overwrites a spec (hint: choose another name, or edit the file)"]
