"""Checking and building on several cores gives exactly what one process gives: the same
tree, byte for byte and in the same order, and the same diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.incremental import parallel
from generator.pipeline import Outcome
from tests.conftest import CASES, ROOT, golden_cases, render_tree

FOLDERS = [ROOT / "specs", *(CASES / case / "specs" for case in golden_cases())]


def _render(specs: Path, monkeypatch: pytest.MonkeyPatch, workers: str) -> Outcome:
    monkeypatch.setenv("INFERGEN_WORKERS", workers)
    return render_tree(specs)


@pytest.mark.parametrize("specs", FOLDERS, ids=[p.parent.name for p in FOLDERS])
def test_two_workers_render_what_one_renders(specs: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    alone = _render(specs, monkeypatch, "1")
    shared = _render(specs, monkeypatch, "2")
    assert shared.tree == alone.tree
    assert list(shared.tree or {}) == list(alone.tree or {})
    assert shared.diagnostics == alone.diagnostics


def test_specs_with_errors_report_the_same_in_parallel(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    case = CASES / "h100x8-tensor-parallel" / "specs"
    (specs / "platform.yaml").write_text((case / "platform.yaml").read_text())
    good = (case / "llama-70b.yaml").read_text()
    (specs / "a.yaml").write_text(good)
    (specs / "b.yaml").write_text(good.replace("name: llama-70b", "name: other")
                                  .replace("count: 8", "count: 3"))
    alone = _render(specs, monkeypatch, "1")
    shared = _render(specs, monkeypatch, "2")
    assert alone.tree is None and shared.tree is None
    assert shared.diagnostics == alone.diagnostics
    assert any("3 is not one of" in d.message for d in shared.diagnostics)


def test_few_specs_stay_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INFERGEN_WORKERS", raising=False)
    assert parallel.workers(parallel.MIN_UNITS - 1) == 1
