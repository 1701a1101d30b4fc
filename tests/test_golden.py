"""Golden trees: each tests/cases/<case>/specs renders to exactly tests/cases/<case>/expected
(same set of paths, same bytes) with exactly the diagnostics (warnings) in
tests/cases/<case>/diagnostics.txt, and specs/ renders to exactly the committed rendered/.

Refresh after an intended change with `INFERGEN_UPDATE_GOLDEN=1 make test`, then review
the diff of tests/cases/ before committing it.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from generator.pipeline import Outcome
from tests.conftest import CASES, ROOT, golden_cases, read_tree, render_tree

UPDATE = os.environ.get("INFERGEN_UPDATE_GOLDEN") == "1"


def _assert_same_tree(actual: dict[str, str], expected: dict[str, str], label: str) -> None:
    assert sorted(actual) == sorted(expected), f"{label}: different files"
    for path in sorted(actual):
        if actual[path] != expected[path]:
            diff = "".join(difflib.unified_diff(
                expected[path].splitlines(True), actual[path].splitlines(True),
                f"expected/{path}", f"actual/{path}"))
            pytest.fail(f"{label}: {path} differs\n{diff}")


@pytest.mark.parametrize("case", golden_cases())
def test_case_renders_to_its_golden_tree(case: str) -> None:
    expected_dir = CASES / case / "expected"
    outcome = render_tree(CASES / case / "specs", records=expected_dir)  # sticky, as a render
    assert outcome.tree is not None, [d.text() for d in outcome.diagnostics]
    if UPDATE:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for path, text in outcome.tree.items():
            (expected_dir / path).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / path).write_text(text, encoding="utf-8")
    _assert_same_tree(outcome.tree, read_tree(expected_dir), case)


def diagnostics_text(outcome: Outcome, specs: Path) -> str:
    """The diagnostics as the CLI prints them, with the specs folder written `specs/` (the
    same from any working directory)."""
    prefix = os.path.relpath(specs) + os.sep
    return "".join(d.text().replace(prefix, "specs/", 1) + "\n" for d in outcome.diagnostics)


@pytest.mark.parametrize("case", golden_cases())
def test_case_reports_its_golden_diagnostics(case: str) -> None:
    specs = CASES / case / "specs"
    actual = diagnostics_text(render_tree(specs), specs)
    golden = CASES / case / "diagnostics.txt"
    if UPDATE:
        golden.write_text(actual, encoding="utf-8")
    assert actual == golden.read_text(encoding="utf-8")


def test_examples_render_to_the_committed_tree() -> None:
    outcome = render_tree(ROOT / "specs")
    assert outcome.tree is not None, [d.text() for d in outcome.diagnostics]
    assert not outcome.diagnostics, [d.text() for d in outcome.diagnostics]
    _assert_same_tree(outcome.tree, read_tree(ROOT / "rendered"), "specs/ -> rendered/")
