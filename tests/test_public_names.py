"""Tests use the package's public names only (issue 16): no test imports, reads or
monkeypatches a private (`_name`) of generator/, tools/ or another test module, so the
package can change its insides without breaking a test that spied on them. Read from the
tests' syntax trees; nothing is run."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
OURS = ("generator", "tools", "tests", "bench")


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _uses(tree: ast.AST) -> list[str]:
    """Each private name of ours the module reaches, as `line: what`."""
    found: list[str] = []
    modules: set[str] = set()  # local names bound to one of our modules
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {(a.asname or a.name).split(".")[0] for a in node.names
                        if a.name.startswith(OURS)}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(OURS):
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"{node.lineno}: imports {node.module}.{alias.name}")
                modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr) \
                and isinstance(node.value, ast.Name) and node.value.id in modules:
            found.append(f"{node.lineno}: reads {node.value.id}.{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in ("setattr", "setitem", "delattr") and len(node.args) > 1 \
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str) \
                and _private(node.args[1].value.rsplit(".", 1)[-1]):
            found.append(f"{node.lineno}: patches {node.args[1].value}")
    return sorted(found, key=lambda use: int(use.split(":")[0]))


@pytest.mark.parametrize("path", sorted(TESTS.rglob("test_*.py")),
                         ids=lambda p: p.relative_to(TESTS).as_posix())
def test_no_test_reaches_a_private_name(path: Path) -> None:
    assert _uses(ast.parse(path.read_text(encoding="utf-8"))) == []


def test_the_guard_sees_each_kind_of_use() -> None:
    source = ("from generator.output import write as w\n"
              "from generator.output.write import _stage\n"
              "w._siblings(out)\n"
              "monkeypatch.setattr(w, '_exchange', f)\n"
              "w.siblings(out)\n"
              "monkeypatch.setattr(w, 'exchange', f)\n")
    assert _uses(ast.parse(source)) == ["2: imports generator.output.write._stage",
                                        "3: reads w._siblings", "4: patches _exchange"]
