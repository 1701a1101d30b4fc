"""Opting out of a safeguard takes a reason, which stays on the pods: a NetworkPolicy
switched off, allowFrom 0.0.0.0/0 or a system namespace, NVIDIA_VISIBLE_DEVICES."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.errorcases import MODEL, assert_fails, render

REASON = "a public demo, reviewed by the platform team"


def _pods(run_out: dict[str, bytes]) -> list[dict]:
    return [yaml.safe_load(text)["spec"]["template"]["metadata"] for path, text in
            run_out.items() if path.startswith("dev/") and path.endswith("/deployment.yaml")]


@pytest.mark.parametrize(("policy", "where", "what"), [
    ("{enabled: false}", "10:28: error[check] spec.networkPolicy.enabled",
     "the NetworkPolicy is switched off"),
    ("{allowFrom: [{cidr: 0.0.0.0/0}]}", "10:38: error[check] spec.networkPolicy.allowFrom[0].cidr",
     "allowFrom 0.0.0.0/0 opens the serving port to every address"),
    ("{allowFrom: [{cidr: '::/0'}]}", "10:38: error[check] spec.networkPolicy.allowFrom[0].cidr",
     "allowFrom ::/0 opens the serving port to every address"),
    ("{allowFrom: [{namespace: kube-system}]}",
     "10:43: error[check] spec.networkPolicy.allowFrom[0].namespace",
     "allowFrom kube-system lets every pod of a system namespace in"),
])
def test_a_network_opt_out_needs_a_reason_and_keeps_it_on_the_pods(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: str, where: str,
        what: str) -> None:
    text = MODEL + f"  networkPolicy: {policy}\n"
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert_fails(run, [f"specs/m.yaml:{where}: {what}: opting out of a safeguard takes a "
                       "reason (hint: add networkPolicy: {reason: WHY} (at least 10 "
                       "characters; it stays on the pods))"])
    given = text.replace(policy, policy[:-1] + f", reason: {REASON!r}}}")
    run = render(tmp_path, monkeypatch, {"m.yaml": given})
    assert run.exit_code == 0, run.stderr
    pods = _pods(run.out_after)
    assert pods and all(p["annotations"]["infergen.dev/network-exception"] == REASON
                        for p in pods)


def test_ordinary_sources_need_no_reason(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    text = MODEL + "  networkPolicy: {allowFrom: [{cidr: 10.129.0.0/23}, {namespace: apps}]}\n"
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr
    assert all("infergen.dev/network-exception" not in p.get("annotations", {})
               for p in _pods(run.out_after))


def test_nvidia_visible_devices_needs_an_override_and_a_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = MODEL + "  server:\n    env: {NVIDIA_VISIBLE_DEVICES: all}\n"
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert_fails(run, [
        "specs/m.yaml:11:35: error[check] spec.server.env.NVIDIA_VISIBLE_DEVICES: "
        "NVIDIA_VISIBLE_DEVICES overrides the device plugin's isolation: the container could "
        "see GPUs it was not given (CUDA_VISIBLE_DEVICES picks among its own) (hint: remove "
        "it, or set server.security: {overrideDeviceIsolation: true, reason: WHY} (the reason "
        "stays on the pods))"])
    given = text + f"    security: {{overrideDeviceIsolation: true, reason: {REASON!r}}}\n"
    run = render(tmp_path, monkeypatch, {"m.yaml": given})
    assert run.exit_code == 0, run.stderr
    assert all(p["annotations"]["infergen.dev/security-exception"] == REASON
               for p in _pods(run.out_after))


def test_cuda_visible_devices_stays_allowed(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    text = MODEL + "  server:\n    env: {CUDA_VISIBLE_DEVICES: '0'}\n"
    assert render(tmp_path, monkeypatch, {"m.yaml": text}).exit_code == 0
