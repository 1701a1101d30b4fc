"""The CI recipes (.pre-commit-hooks.yaml, examples/ci/*) parse, and every `infergen`
command, option and `make` target they call exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest

from generator.cli import main
from generator.spec.yamlio import load_plain
from tests.conftest import ROOT

RECIPES = [ROOT / ".pre-commit-hooks.yaml", ROOT / "examples/ci/github-actions.yaml",
           ROOT / "examples/ci/cloudbuild.yaml"]


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _infergen_calls(text: str) -> list[list[str]]:
    calls = []
    for line in text.splitlines():
        for match in re.finditer(r"(?:^|[\s/])infergen ([^|>;&\n]*)", line):
            calls.append(shlex.split(match.group(1), comments=True))
    return calls


def _make_targets(text: str) -> list[str]:
    return re.findall(r"\bmake ([\w./-]+)", text)


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.name)
def test_recipe_calls_real_commands(recipe: Path) -> None:
    data = load_plain(recipe.read_text(encoding="utf-8"))
    text = "\n".join(_strings(data))
    calls = _infergen_calls(text)
    assert calls, f"{recipe.name} runs no infergen command"
    assert isinstance(main, click.Group)
    for words in calls:
        command = main.commands.get(words[0])
        assert command is not None, f"{recipe.name}: no command `infergen {words[0]}`"
        known = {o for p in command.params for o in getattr(p, "opts", [])}
        for word in words[1:]:
            if word.startswith("-"):
                assert word in known, f"{recipe.name}: `infergen {words[0]}` has no {word}"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in _make_targets(text):
        assert re.search(rf"^{re.escape(target)}:|^\$\(STAMP\):", makefile, re.M), target
        if target.startswith(".venv/"):
            assert "STAMP := $(VENV)/.installed" in makefile


def test_pre_commit_hook() -> None:
    hooks = load_plain((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hooks == [{
        "id": "infergen-check", "name": "infergen render --check",
        "description": hooks[0]["description"], "entry": "infergen render --check",
        "language": "python", "pass_filenames": False, "files": "^specs/"}]


def test_ci_runs_validate_check_and_posts_the_diff() -> None:
    for recipe in RECIPES[1:]:
        text = "\n".join(_strings(load_plain(recipe.read_text(encoding="utf-8"))))
        commands = [c[0] for c in _infergen_calls(text)]
        assert {"validate", "diff"} <= set(commands), recipe.name
        assert "make check" in text, recipe.name


def test_ci_posts_the_capacity_section() -> None:
    """The comment the recipes post is `infergen diff`'s Markdown, which opens each
    environment with its capacity and list-price section (tests/commands/
    test_diff_capacity.py): no recipe asks for JSON, and the file posted is the diff's."""
    from generator.commands import diff
    for recipe in RECIPES[1:]:
        text = "\n".join(_strings(load_plain(recipe.read_text(encoding="utf-8"))))
        diffs = [c for c in _infergen_calls(text) if c[0] == "diff"]
        assert diffs and all("json" not in words for words in diffs), recipe.name
        assert re.search(r"infergen diff [^\n]*> infergen-diff\.md", text), recipe.name
        assert re.search(r"(--body-file |open\(\")infergen-diff\.md", text), recipe.name
    section = {"label": "List-price estimate", "accelerators": {
        side: {"before": {}, "after": {"nvidia-l4": 1}} for side in ("min", "max")},
        "hourly": {side: {"before": 0, "after": 1, "change": 1} for side in ("min", "max")},
        "monthly": {side: {"before": 0, "after": 730, "change": 730} for side in ("min", "max")},
        "models": {}, "complete": True, "notes": [], "risks": []}
    report = diff.Report("main", {"prod": [diff.ObjectChange("p", "Deployment a/b", "added")]},
                         [], {"prod": section})
    posted = diff.markdown(report)
    assert posted.index("#### Capacity and list price: prod") < posted.index("| added |")
