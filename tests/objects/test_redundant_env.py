"""A server.env variable that only repeats what infergen renders (the check step warns it is
redundant) is rendered once: the pod carries one name per setting, and verify does not
mistake the user's repetition for a bug in infergen (exit 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.checks.test_errors_accelerators import model
from tests.errorcases import render


@pytest.mark.parametrize(("env", "kept"), [
    ('{NUM_SHARD: "2"}', []),                       # the same value: left out
    ('{AIP_HTTP_PORT: "8000"}', []),                # an alias of PORT, the same value
    ('{NUM_SHARD: "2", MAX_BATCH_SIZE: "8"}', ["MAX_BATCH_SIZE"]),  # the user's own stays
])
def test_a_redundant_env_var_is_rendered_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              env: str, kept: list[str]) -> None:
    text = model(f"""
      model: {{source: hf://org/m, parameters: 1B}}
      server: {{engine: tgi, env: {env}}}
      accelerator: {{type: nvidia-l4, count: 2}}
    """)
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 0, run.stderr
    assert run.errors == [] and all("redundant" in w for w in run.warnings), run.stderr
    deployment = yaml.safe_load(next((tmp_path / "rendered").rglob("deployment.yaml")).read_text())
    names = [e["name"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]]
    assert names.count("NUM_SHARD") == 1 and names.count("PORT") == 1, names
    assert "AIP_HTTP_PORT" not in names
    assert [n for n in names if n in kept] == kept
