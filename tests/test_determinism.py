"""Output depends only on the specs: not on file order, working directory or repetition."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import CASES, ROOT, read_tree, render_tree

SPECS = CASES / "environments" / "specs"


def test_two_renders_give_identical_bytes() -> None:
    assert render_tree(SPECS).tree == render_tree(SPECS).tree


def test_file_names_and_folders_do_not_change_the_output_order(tmp_path: Path) -> None:
    # Same specs under other names, so the folder walk meets them in the opposite order;
    # only the header comments (which name the source file) may differ.
    shuffled = tmp_path / "specs"
    shutil.copytree(SPECS, shuffled)
    (shuffled / "team-a" / "gemma.yaml").rename(shuffled / "z-gemma.yaml")
    (shuffled / "team-b" / "embed.yaml").rename(shuffled / "a-embed.yaml")
    (shuffled / "platform.yaml").rename(shuffled / "m-platform.yaml")
    original, moved = render_tree(SPECS).tree, render_tree(shuffled).tree
    assert original is not None and moved is not None
    assert sorted(original) == sorted(moved)

    def body(text: str) -> str:
        return text.split("\n", 2)[2]

    assert {p: body(t) for p, t in original.items()} == {p: body(t) for p, t in moved.items()}


def test_output_does_not_depend_on_the_working_directory(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for cwd, specs, out in ((ROOT, str(SPECS), str(tmp_path / "a")),
                            (outside, os.path.relpath(SPECS, outside), "b")):
        subprocess.run([sys.executable, "-m", "generator", "render", "--specs", specs,
                        "--out", out], cwd=cwd, env=env, check=True, capture_output=True)
    assert read_tree(tmp_path / "a") == read_tree(outside / "b")
