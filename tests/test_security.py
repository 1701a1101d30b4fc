"""checkov's Kubernetes checks over every rendered tree (the examples and the golden
cases): every failing check is fixed or listed, with its reason, in
tests/security/accepted.yaml."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.conftest import CASES, ROOT, golden_cases

ACCEPTED = ROOT / "tests" / "security" / "accepted.yaml"


def _checkov() -> str:
    """The checkov of `make test` (a venv of its own: it is never a runtime dependency)."""
    path = os.environ.get("INFERGEN_CHECKOV") or str(ROOT / ".venv-checkov" / "bin" / "checkov")
    if not Path(path).is_file():
        pytest.fail(f"checkov not found at {path}: run `make test`, which installs it")
    return path


@pytest.fixture(scope="module")
def failures(tmp_path_factory: pytest.TempPathFactory) -> Counter[str]:
    trees = tmp_path_factory.mktemp("trees")
    shutil.copytree(ROOT / "rendered", trees / "examples")
    for case in golden_cases():
        shutil.copytree(CASES / case / "expected", trees / case)
    run = subprocess.run([_checkov(), "-d", str(trees), "--framework", "kubernetes",
                          "--output", "json", "--quiet", "--compact"],
                         capture_output=True, text=True, check=False)
    reports = json.loads(run.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    found: Counter[str] = Counter()
    for report in reports:
        assert report["summary"]["parsing_errors"] == 0
        found.update(f["check_id"] for f in report["results"]["failed_checks"])
    return found


@pytest.mark.slow
def test_every_failing_check_is_accepted_with_a_reason(failures: Counter[str]) -> None:
    accepted = yaml.safe_load(ACCEPTED.read_text())
    unexplained = sorted(set(failures) - set(accepted))
    assert not unexplained, {check: failures[check] for check in unexplained}
    for check, entry in accepted.items():
        assert len(entry["why"]) > 80, check


@pytest.mark.slow
def test_no_accepted_check_is_stale(failures: Counter[str]) -> None:
    accepted = yaml.safe_load(ACCEPTED.read_text())
    assert sorted(set(accepted) - set(failures)) == []
