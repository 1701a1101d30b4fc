"""Secure defaults and the rules that keep specs safe: no pasted secrets, pinned images,
exceptions only with a reason, a network policy per model."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.checks.secrets import fingerprint
from generator.spec.yamlio import load_plain
from tests.checks.test_errors_accelerators import model
from tests.errorcases import assert_fails, render, unsized

TOKEN = "hf_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
BASE64 = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0xMjM0NQ=="


def waiver(field: str, value: str) -> str:
    """How an error offers to waive the value it refuses: its field and fingerprint."""
    return (f"; if it is no credential, waive it in metadata.secretExceptions: {{field: "
            f"{field}, fingerprint: \"{fingerprint(value)}\", reason: WHY}}")


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(
        model(f"""
          accelerator: {{type: nvidia-l4}}
          server: {{env: {{HF_TOKEN: {TOKEN}}}}}
        """),
        ["specs/m.yaml:9:28: error[check] spec.server.env.HF_TOKEN: this looks like a Hugging "
         "Face token; specs are committed to Git (hint: put it in a Secret and name it in "
         "model.tokenSecret" + waiver("spec.server.env.HF_TOKEN", TOKEN) + ")"],
        id="hugging-face-token-in-env"),
    pytest.param(
        model("""
          accelerator: {type: nvidia-l4}
          server: {args: ["--api-key=c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC0xMjM0NQ=="]}
        """),
        ["specs/m.yaml:9:19: error[check] spec.server.args[0]: this looks like a credential "
         "(gitleaks rule generic-api-key); specs are committed to Git (hint: put it in a "
         "Kubernetes Secret, and revoke it: it may already be in Git history"
         + waiver("spec.server.args[0]", "--api-key=" + BASE64) + ")"],
        id="base64-in-args"),
    pytest.param(
        model("""
          accelerator: {type: nvidia-l4}
          server: {security: {runAsRoot: true}}
        """),
        ["specs/m.yaml:9:22: error[schema] spec.server.security: missing required field "
         "'reason'"],
        id="exception-without-reason"),
])
def test_unsafe_spec_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                                expected: list[str]) -> None:
    assert_fails(render(tmp_path, monkeypatch, {"m.yaml": text}), expected)


def test_revisions_and_digests_are_not_taken_for_secrets(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    digest = "0123456789abcdef" * 4
    text = model(f"""
      model: {{source: "hf://org/m@0123456789abcdef0123456789abcdef01234567", parameters: 1B}}
      accelerator: {{type: nvidia-l4}}
      server:
        image: "vllm/vllm-openai@sha256:{digest}"
        args: [--tokenizer=meta-llama/Llama-3.1-8B-Instruct-long-name-for-testing]
    """)
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr
    assert run.warnings == []


@pytest.mark.parametrize("image", ["vllm/vllm-openai", "vllm/vllm-openai:latest"])
def test_unpinned_image_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              image: str) -> None:
    text = model(f"""
      accelerator: {{type: nvidia-l4}}
      server: {{image: "{image}"}}
    """)
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr
    assert run.warnings == [
        unsized(),
        f"specs/m.yaml:9:19: warning[check] spec.server.image: image {image} is not pinned to "
        "a version: every node may run another build (hint: use a version tag, or "
        "image@sha256:<digest>)"]


def _deployment(tmp_path: Path) -> dict:
    return load_plain((tmp_path / "rendered" / "prod" / "inference" / "m" / "deployment.yaml")
                      .read_text())


def test_pods_are_locked_down_by_default(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": model("accelerator: {type: nvidia-l4}")})
    assert run.exit_code == 0, run.stderr
    pod = _deployment(tmp_path)["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"] == {"fsGroup": 10001, "runAsGroup": 10001,
                                      "runAsNonRoot": True, "runAsUser": 10001,
                                      "seccompProfile": {"type": "RuntimeDefault"}}
    container = pod["containers"][0]
    assert container["securityContext"] == {"allowPrivilegeEscalation": False,
                                            "capabilities": {"drop": ["ALL"]},
                                            "readOnlyRootFilesystem": True}
    assert container["resources"]["limits"] == container["resources"]["requests"]
    writable = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/tmp", "/home/infergen", "/data", "/dev/shm"} <= writable
    policy = load_plain((tmp_path / "rendered" / "prod" / "inference" / "m" /
                         "networkpolicy.yaml").read_text())
    assert policy["spec"]["policyTypes"] == ["Ingress"]


def test_an_exception_relaxes_only_what_it_names_and_records_why(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = model("""
      accelerator: {type: nvidia-l4}
      server:
        security: {runAsRoot: true, reason: "the vendor image writes /opt/app at start"}
    """)
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr
    template = _deployment(tmp_path)["spec"]["template"]
    assert "runAsNonRoot" not in template["spec"]["securityContext"]
    assert template["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"]
    assert template["metadata"]["annotations"]["infergen.dev/security-exception"] == \
        "the vendor image writes /opt/app at start"


def test_tpu_pods_keep_root_and_every_other_restriction(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = model("accelerator: {type: tpu-v6e, topology: 2x4}")
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr
    pod = _deployment(tmp_path)["spec"]["template"]["spec"]
    assert pod["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
    assert pod["containers"][0]["securityContext"] == {
        "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True}
