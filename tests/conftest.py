"""Shared test helpers: rendering a specs folder in memory and finding the real tools."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator import catalog
from generator.pipeline import Outcome, compile_specs

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
UPSTREAM_SCHEMAS = ROOT / "tests" / "upstream-schemas"  # sources in its README


def render_tree(specs: Path, records: Path | None = None) -> Outcome:
    """`records`: the tree whose placement of models into roots is kept (output/sharding.py);
    default the `rendered` folder beside the specs (none, for a golden case)."""
    return compile_specs([specs], "rendered", catalog.load(),
                         records=records or specs.parent / "rendered")


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


@pytest.fixture(scope="session")
def promtool() -> str:
    """Prometheus's own rule checker (Debian's `prometheus` package): its absence fails the
    run rather than skipping the check."""
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is required to check the rendered rules "
                    "(apt-get install prometheus)")
    return path
