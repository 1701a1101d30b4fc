"""The repository guards itself: nothing generated is tracked, so every clone builds its own
venvs and caches and passes on a machine that never had the project."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Folders whose large files are data the project owns (rendered output, schemas, golden trees).
LARGE_FILES_ALLOWED_UNDER = ("rendered/", "schemas/", "tests/cases/")
MAX_TRACKED_BYTES = 1 << 20


def _git(repo: Path, *args: str) -> list[str]:
    git = shutil.which("git")
    if git is None or not (repo / ".git").exists():
        pytest.fail(f"{repo} is not a git checkout, or git is not on PATH")
    run = subprocess.run([git, "-C", str(repo), *args, "-z"], capture_output=True, text=True,
                         check=True)
    return [path for path in run.stdout.split("\0") if path]


def tracked_but_ignored(repo: Path) -> list[str]:
    return sorted(_git(repo, "ls-files", "-ci", "--exclude-standard"))


def tracked_virtualenvs(repo: Path) -> list[str]:
    return sorted(str(Path(p).parent) for p in _git(repo, "ls-files")
                  if Path(p).name == "pyvenv.cfg")


def large_tracked_files(repo: Path) -> list[str]:
    return sorted(p for p in _git(repo, "ls-files")
                  if not p.startswith(LARGE_FILES_ALLOWED_UNDER)
                  and (repo / p).is_file() and (repo / p).stat().st_size > MAX_TRACKED_BYTES)


def test_no_tracked_file_is_one_gitignore_lists() -> None:
    assert tracked_but_ignored(ROOT) == []


def test_no_tracked_folder_is_a_virtualenv() -> None:
    assert tracked_virtualenvs(ROOT) == []


def test_no_large_file_is_tracked_outside_the_data_folders() -> None:
    assert large_tracked_files(ROOT) == []


def test_each_guard_fires_on_a_repository_that_breaks_it(tmp_path: Path) -> None:
    git = shutil.which("git")
    assert git is not None
    repo = tmp_path / "repo"
    (repo / "tools" / ".venv").mkdir(parents=True)
    (repo / "tools" / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (repo / "big.bin").write_bytes(b"\0" * (MAX_TRACKED_BYTES + 1))
    (repo / "rendered").mkdir()
    (repo / "rendered" / "big.yaml").write_bytes(b"#" * (MAX_TRACKED_BYTES + 1))
    (repo / "cache.pyc").write_bytes(b"")
    subprocess.run([git, "init", "-q", str(repo)], check=True)
    subprocess.run([git, "-C", str(repo), "add", "-A"], check=True)
    (repo / ".gitignore").write_text("*.pyc\n")  # ignored after it was added, as .venv-checkov was

    assert tracked_but_ignored(repo) == ["cache.pyc"]
    assert tracked_virtualenvs(repo) == ["tools/.venv"]
    assert large_tracked_files(repo) == ["big.bin"]
