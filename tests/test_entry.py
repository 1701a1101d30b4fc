"""The `infergen` process (generator.cli.entry) keeps what a command holds from being freed
one by one at exit, and otherwise ends as any process: its exit codes, its output and the
files it wrote are exactly those of the command, and atexit handlers (coverage, cProfile)
still run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import CASES, ROOT, read_tree


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd,
                          capture_output=True, text=True, check=False,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_exit_codes_output_and_files_are_the_command_s(tmp_path: Path) -> None:
    assert _run("--version", cwd=tmp_path).returncode == 0
    missing = _run("render", "--specs", "nowhere", "--out", "out", cwd=tmp_path)
    assert missing.returncode == 1
    assert "nowhere: error[load] no such file or folder" in missing.stderr
    assert "left untouched" in missing.stderr
    specs = CASES / "environments" / "specs"
    rendered = _run("render", "--specs", str(specs), "--out", "out", cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout.rstrip().endswith("0 changed, 0 removed)")  # flushed, whole
    assert read_tree(tmp_path / "out") == read_tree(CASES / "environments" / "expected")
    again = _run("render", "--specs", str(specs), "--out", "out", "--check", cwd=tmp_path)
    assert again.returncode == 0 and "is up to date" in again.stdout


def test_a_profiler_s_output_is_written_at_exit(tmp_path: Path) -> None:
    specs = CASES / "environments" / "specs"
    profiled = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", "profile.out", "-m", "generator", "render",
         "--specs", str(specs), "--out", "out"], cwd=tmp_path, capture_output=True, text=True,
        check=False, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert profiled.returncode == 0, profiled.stderr
    assert (tmp_path / "profile.out").stat().st_size > 0
