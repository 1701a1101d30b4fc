"""The package's layering, read from the imports (ast, nothing is run):

- spec (steps 1-2) never imports plan; plan (step 3) never imports checks or objects;
- checks (step 4) and objects (step 5) never import each other;
- incremental/ (speed only) imports no step package: the orchestrator hands it what to run;
- only the orchestrator imports incremental/: pipeline.py, its per-spec steps (per_spec.py)
  and its sharding step (roots.py, which places the units' built objects into their roots);
- only output/ writes the tree; the other writers are named below, with why.

An import is `import generator.x`, `from generator.x import y`, a relative import (`from .x
import y`, `from .. import x`), or importlib's: `importlib.import_module("generator.x")`
and `__import__("generator.x")`; an importlib call whose module is not written out is
reported, since no rule can be checked against it.

"Writes to disk" is read statically: a call of a function or method that creates, changes
or removes a file or folder (open/Path.open in a writing mode, write_text, mkdir, unlink,
os.replace, shutil.*, tempfile.mkstemp, tarfile extractall, ...). It does not see writes
made through a subprocess, through getattr, or inside a library called with a path.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "generator"

# what each part of the package may import from generator (besides itself)
ALLOWED: dict[str, set[str]] = {
    "diagnostics": set(),
    "catalog": set(),
    "spec": {"diagnostics"},
    "plan": {"spec", "diagnostics", "catalog"},
    # output.layout and output.sharding: the tree's shape and which root a model is in
    "checks": {"plan", "spec", "diagnostics", "catalog", "output.layout", "output.sharding"},
    "objects": {"plan", "spec", "diagnostics", "catalog", "output.layout", "output.sharding"},
    "verify": {"spec", "diagnostics", "catalog", "output.layout"},
    "output": {"spec", "diagnostics"},
    "incremental": {"diagnostics"},
}

# the only modules outside output/ that may touch the disk, and why
WRITERS = {
    "generator.output.write": "the tree, each file atomically, and its manifest",
    "generator.incremental.cache": "the cache store, beside the output folder",
    "generator.commands.scaffold": "`infergen new` writes the new spec (never overwrites)",
    "generator.commands.docs": "`make docs` writes docs/spec-reference.md",
    "generator.commands.gitref": "`infergen diff` extracts a git ref into a temporary folder",
}

# who may import incremental/ (speed only): the orchestrator (see the docstring)
INCREMENTAL_IMPORTERS = {"pipeline", "per_spec", "roots", "incremental"}

_WRITE_METHODS = {"write_text", "write_bytes", "mkdir", "makedirs", "unlink", "rmdir",
                  "rmtree", "touch", "symlink_to", "hardlink_to", "extractall", "extract",
                  "mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryDirectory", "fdopen"}
_OS_WRITES = {"replace", "rename", "remove", "link", "symlink", "write", "makedirs", "mkdir",
              "unlink", "rmdir", "truncate", "ftruncate"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> dict[str, str]:
    return {module_name(p): p.read_text(encoding="utf-8")
            for p in sorted(PACKAGE.rglob("*.py")) if "schemas" not in p.parts}


PACKAGES = {module_name(p) for p in PACKAGE.rglob("__init__.py")}


_DYNAMIC = {"import_module", "__import__"}
UNKNOWN = "generator.<not written out>"


def _package_of(module: str, is_package: bool) -> str:
    return module if is_package else module.rpartition(".")[0]


def imports(source: str, module: str = "generator.x", is_package: bool = False
            ) -> Iterator[str]:
    """Every generator module a source (of `module`) imports, as dotted names below
    `generator.`: relative imports resolved against `module`'s package."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("generator."))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the importer's package, `level - 1` up
                package = _package_of(module, is_package).split(".")
                package = package[:len(package) - (node.level - 1)]
                base = ".".join(package + ([base] if base else []))
            if base == "generator":
                yield from (f"generator.{a.name}" for a in node.names)
            elif base.startswith("generator."):
                yield base
                yield from (f"{base}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Call) and _dynamic(node.func):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                if first.value.startswith("generator."):
                    yield first.value
            else:
                yield UNKNOWN


def _dynamic(func: ast.expr) -> bool:
    """importlib.import_module(...), import_module(...), __import__(...)."""
    name = func.attr if isinstance(func, ast.Attribute) else \
        func.id if isinstance(func, ast.Name) else ""
    return name in _DYNAMIC


def part_of(module: str) -> str:
    """diagnostics, spec, plan, ... (the first name below generator)."""
    return module.split(".")[1] if module.count(".") else ""


def _allowed(importer: str, imported: str, known: set[str]) -> bool:
    whole, target = part_of(importer), imported.removeprefix("generator.")
    if target.split(".")[0] == whole or whole not in ALLOWED:
        return True
    if imported not in known and f"generator.{target.rsplit('.', 1)[0]}" in known:
        target = target.rsplit(".", 1)[0]  # `from generator.x.y import name`: the module
    return any(target == rule or target.startswith(rule + ".") for rule in ALLOWED[whole])


def layer_violations(found: dict[str, str]) -> list[str]:
    known = set(found)
    wrong = []
    for importer, source in found.items():
        for imported in imports(source, importer, importer in PACKAGES):
            if imported == UNKNOWN:
                wrong.append(f"{importer} imports a module it does not name")
                continue
            if imported not in known and imported.rsplit(".", 1)[0] not in known:
                continue
            if not _allowed(importer, imported, known):
                wrong.append(f"{importer} imports {imported}")
            if part_of(imported) == "incremental" and part_of(importer) not in \
                    INCREMENTAL_IMPORTERS:
                wrong.append(f"{importer} imports {imported} (only the orchestrator may)")
    return sorted(set(wrong))


def _writes(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else None
        if owner == "os" and func.attr in _OS_WRITES or owner == "shutil":
            return True
        if func.attr in _WRITE_METHODS:
            return True
        if func.attr == "open" and owner not in {"tarfile", "zipfile", "io"}:
            return _writing_mode(node, 0)
    if isinstance(func, ast.Name) and func.id == "open":
        return _writing_mode(node, 1)
    return False


def _writing_mode(node: ast.Call, position: int) -> bool:
    modes = [k.value for k in node.keywords if k.arg == "mode"]
    if len(node.args) > position:
        modes.append(node.args[position])
    for mode in modes:
        if not isinstance(mode, ast.Constant) or not isinstance(mode.value, str):
            return True  # a mode not written out: assume it writes
        if set(mode.value) & set("wax+"):
            return True
    return False


def disk_writers(found: dict[str, str]) -> dict[str, int]:
    """module -> line of its first call that writes to disk."""
    writers = {}
    for module, source in found.items():
        lines = sorted(n.lineno for n in ast.walk(ast.parse(source))
                       if isinstance(n, ast.Call) and _writes(n))
        if lines:
            writers[module] = lines[0]
    return writers


def test_no_import_crosses_a_layer() -> None:
    assert layer_violations(sources()) == []


def test_only_the_named_modules_write_to_disk() -> None:
    found = disk_writers(sources())
    assert {m: line for m, line in found.items() if m not in WRITERS} == {}
    assert set(WRITERS) <= set(found), "a named writer no longer writes: drop it from WRITERS"


def test_the_top_level_stays_small() -> None:
    top = [p.name for p in PACKAGE.iterdir() if p.suffix == ".py"]
    assert len(top) <= 10, top


BAD_IMPORTS = [
    ("generator.spec.load", "from generator.plan.records import Plan"),
    ("generator.plan.resolve", "from generator.checks import fleet"),
    ("generator.plan.resolve", "from generator.objects.labels import metadata"),
    ("generator.checks.fleet", "from generator.objects import fleet"),
    ("generator.objects.fleet", "from generator.checks.common import STEP"),
    ("generator.objects.fleet", "import generator.checks.common"),
    ("generator.verify", "from generator import pipeline"),
    ("generator.output.write", "from generator.objects import MODEL_BUILDERS"),
    ("generator.commands.diff", "from generator.incremental import cache"),
    # incremental/ runs no step itself
    ("generator.incremental.units", "from generator.checks import fleet"),
    ("generator.incremental.cache", "from generator.output.text import digest"),
    ("generator.incremental.cache", "from generator import pipeline"),
    # relative imports
    ("generator.incremental.units", "from ..objects import model_objects"),
    ("generator.incremental", "from ..verify import check_item"),
    ("generator.checks.fleet", "from ..objects import fleet"),
    ("generator.checks.fleet", "from ..objects.labels import metadata"),
    ("generator.spec.load", "from ..plan import records"),
    ("generator.commands.diff", "from ..incremental import cache"),
    # importlib
    ("generator.incremental.cache", "importlib.import_module('generator.objects')"),
    ("generator.checks.fleet", "import_module('generator.objects.labels')"),
    ("generator.plan.resolve", "__import__('generator.checks.fleet')"),
    ("generator.incremental.units", "importlib.import_module(name)"),
]


@pytest.mark.parametrize("line", ["from . import units", "from .units import Unit",
                                  "from ..diagnostics import Diagnostic",
                                  "importlib.import_module('json')"])
def test_an_allowed_import_is_not_reported(line: str) -> None:
    found = sources()
    found["generator.incremental.codec"] += "\n" + line + "\n"
    assert layer_violations(found) == []


def test_relative_imports_resolve_against_the_importer_s_package() -> None:
    assert list(imports("from . import units", "generator.incremental", True)) == [
        "generator.incremental", "generator.incremental.units"]
    assert list(imports("from .units import Unit", "generator.incremental.cache")) == [
        "generator.incremental.units", "generator.incremental.units.Unit"]
    assert list(imports("from .. import pipeline", "generator.incremental.cache")) == [
        "generator.pipeline"]


@pytest.mark.parametrize(("importer", "line"), BAD_IMPORTS)
def test_a_crossing_import_is_found(importer: str, line: str) -> None:
    found = sources()
    found[importer] = found[importer] + "\n" + line + "\n"
    assert layer_violations(found)


@pytest.mark.parametrize("line", [
    "open('x', 'w')", "open('x', mode='a')", "Path('x').write_text('')", "os.replace(a, b)",
    "shutil.copy(a, b)", "p.open('w')", "tempfile.mkstemp()", "p.mkdir()", "p.unlink()",
    "open(name, mode)"])
def test_a_disk_write_outside_output_is_found(line: str) -> None:
    found = sources()
    found["generator.objects.labels"] += f"\n\ndef leak() -> None:\n    {line}\n"
    assert "generator.objects.labels" in disk_writers(found)


@pytest.mark.parametrize("line", ["open('x')", "open('x', 'rb')", "p.open()",
                                  "p.read_text()", "'a'.replace('a', 'b')"])
def test_reading_is_not_writing(line: str) -> None:
    found = sources()
    found["generator.objects.labels"] += f"\n\ndef look() -> None:\n    {line}\n"
    assert "generator.objects.labels" not in disk_writers(found)
