"""A multi-host vLLM group (LeaderWorkerSet) joins its pods with vLLM's own flags (catalog
multiHostArgs): giving one of them in server.args, which reach every pod of the group, is
an error at that line naming the field the group comes from."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks.test_errors_accelerators import model
from tests.errorcases import render

GROUP = "spec.accelerator (hosts per replica)"


@pytest.mark.parametrize(("flag", "position"), [
    ("--nnodes=2", "leader and workers"), ("--node-rank=1", "leader and workers"),
    ("--master-addr=10.0.0.1", "leader and workers"), ("--headless", "workers only")])
def test_a_join_flag_in_server_args_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               flag: str, position: str) -> None:
    text = model(f"""
      server: {{engine: vllm, args: ["{flag}"]}}
      accelerator: {{type: nvidia-h100-80gb, count: 16}}
    """)
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    name = flag.split("=")[0]
    assert run.exit_code == 1, (position, run.stderr)
    assert [e for e in run.errors if "spec.server.args[0]" in e and name in e
            and GROUP in e], run.stderr


@pytest.mark.parametrize("count", [8, 16], ids=["one-node", "two-nodes"])
def test_the_master_port_is_the_users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      count: int) -> None:
    """infergen keeps vLLM's default master port (29501) and renders no --master-port: the
    user may choose one, on one node (where vLLM ignores it) and across nodes."""
    text = model(f"""
      server: {{engine: vllm, args: ["--master-port=29600"]}}
      accelerator: {{type: nvidia-h100-80gb, count: {count}}}
    """)
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr
    assert run.errors == [], run.stderr
