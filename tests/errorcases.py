"""Shared helpers for the error-path tests (test_errors_*.py).

Each test builds a tiny specs folder in a temporary directory, runs `infergen render`
through click's CliRunner from that directory (so diagnostics name `specs/m.yaml`), and
checks the exact diagnostic lines, the exit code and that the output folder is untouched.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

PLATFORM = """\
apiVersion: infergen.dev/v1alpha1
kind: Platform
metadata:
  name: acme
spec:
  configSync:
    repo: https://example.com/config.git
  environments:
    - name: dev
      clusters: [dev-1]
    - name: prod
      clusters: [prod-1]
"""

# A valid model; tests append or replace lines to break exactly one thing.
MODEL = """\
apiVersion: infergen.dev/v1alpha1
kind: ModelDeployment
metadata:
  name: m
spec:
  model:
    source: hf://org/m
  accelerator:
    type: nvidia-l4
"""

SENTINEL = "do not touch: a previous render\n"


def spec(text: str) -> str:
    """Dedent a spec written inline in a test table."""
    return textwrap.dedent(text).lstrip("\n")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str
    out_before: dict[str, bytes]
    out_after: dict[str, bytes]

    @property
    def errors(self) -> list[str]:
        """The error lines printed, in order (diagnostics are printed sorted)."""
        return [line for line in self.stderr.splitlines() if ": error[" in line]

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if ": warning[" in line]


def render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           files: dict[str, str | bytes], platform: str | None = PLATFORM,
           args: tuple[str, ...] = ()) -> Run:
    """Write `files` (and a minimal platform.yaml unless None) under tmp_path/specs, put a
    previous render in tmp_path/rendered, then run `infergen render` from tmp_path."""
    specs = tmp_path / "specs"
    specs.mkdir(exist_ok=True)
    if platform is not None and "platform.yaml" not in files:
        (specs / "platform.yaml").write_text(platform, encoding="utf-8")
    for name, content in files.items():
        target = specs / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    out = tmp_path / "rendered"
    (out / "dev").mkdir(parents=True, exist_ok=True)
    (out / "dev" / "old.yaml").write_text(SENTINEL, encoding="utf-8")
    before = _snapshot(out)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["render", "--specs", "specs", "--out", "rendered",
                                       *args])
    return Run(result.exit_code, result.stdout, result.stderr, before, _snapshot(out))


def assert_one_line_each(run: Run) -> None:
    """Every line on stderr is a whole diagnostic or an `infergen:` status line (a message
    spilling onto a second line breaks editors, grep and the `file:line:col` format)."""
    for line in run.stderr.splitlines():
        assert (": error[" in line or ": warning[" in line
                or line.startswith("infergen: ")), f"stray line {line!r} in:\n{run.stderr}"


def assert_fails(run: Run, errors: list[str], warnings: list[str] | None = None) -> None:
    """Exit 1, exactly the `errors` lines (in printed, sorted order) and, when given,
    exactly the `warnings`; no traceback; the previous render byte-for-byte as it was."""
    everything = run.stdout + run.stderr
    assert "Traceback" not in everything, everything
    assert run.errors == errors, run.stderr
    if warnings is not None:
        assert run.warnings == warnings, run.stderr
    assert_one_line_each(run)
    assert run.exit_code == 1, everything
    assert "infergen: rendered left untouched" in run.stderr
    assert run.out_after == run.out_before


def unsized(at: str = "7:13", file: str = "specs/m.yaml") -> str:
    """The warning of a hf:// model without parameters or model.cache (MODEL's, by default)."""
    return (f"{file}:{at}: warning[check] spec.model.source: the download disk of this hf:// "
            "model is unsized: a large checkpoint fills the node's boot disk and the pod is "
            "evicted (hint: set spec.model.parameters (e.g. 8B), from which infergen sizes the "
            "disk and the pod's ephemeral-storage request, or spec.model.cache.size)")
