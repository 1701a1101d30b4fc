"""Shared test helpers: rendering a specs folder in memory and finding the real tools."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator import catalog
from generator.pipeline import Outcome, compile_specs

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
UPSTREAM_SCHEMAS = ROOT.parent / "shared" / "upstream-crd-schemas"


def render_tree(specs: Path) -> Outcome:
    return compile_specs([specs], "rendered", catalog.load())


def read_tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*")) if p.is_file()}


def golden_cases() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "specs").is_dir())


@pytest.fixture(scope="session")
def kubectl() -> str:
    """The real kubectl: its absence fails the run rather than skipping the checks."""
    path = shutil.which("kubectl")
    if path is None:
        pytest.fail("kubectl is required for the kustomize build tests (install kubectl)")
    return path


@pytest.fixture(autouse=True)
def _no_cache_for_the_robustness_tests(request: pytest.FixtureRequest,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The robustness tests assert that nothing but the lock and the spare is left beside
    the output folder, so the cache folder render keeps there would fail them: they run
    without it until they allow `.<out>.infergen-cache` (the cache is in tests/test_cache.py)."""
    if request.module.__name__.rpartition(".")[2].startswith("test_robustness_"):
        monkeypatch.setenv("INFERGEN_CACHE", "off")
