"""Bad input never hurts: property-based tests of `infergen render` (hypothesis).

Start from a valid specs folder (specs/ or a tests/cases/*/specs), mutate it (wrong types,
missing and extra fields, random unicode strings in any field, huge numbers, deep nesting,
dropped, duplicated or concatenated documents, truncated text, random bytes), render it
over a previous render, and hold the CLI to its contract:

- exit 0, and the output folder is exactly what the pipeline produces for those specs
  (plus the foreign file that was there), every file one YAML document; or
- exit 1, diagnostics on stderr, and the output folder byte for byte as it was;
- never exit 3, never a traceback, never a staging or backup folder left beside it.

Deterministic (derandomize=True) so CI sees the same examples every run; the number of
examples run is printed and checked.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import catalog
from generator.cli import main
from generator.pipeline import compile_specs
from tests.conftest import CASES, ROOT
from tests.errorcases import MODEL, assert_fails, render

BASES = [ROOT / "specs", *sorted(p / "specs" for p in CASES.iterdir() if (p / "specs").is_dir())]
# the default run, and the slow one (both run in CI); raise them locally to search longer
EXAMPLES = int(os.environ.get("INFERGEN_FUZZ_EXAMPLES", "150"))
SLOW_EXAMPLES = int(os.environ.get("INFERGEN_FUZZ_SLOW_EXAMPLES", "300"))
FOREIGN = ("README.md", "hand written, not generated\n")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def files_of(base: Path) -> dict[str, bytes]:
    return {p.relative_to(base).as_posix(): p.read_bytes()
            for p in sorted(base.rglob("*")) if p.is_file()}


def _previous_render(base: Path, cache: Path) -> Path:
    """A clean render of the unmutated base (plus a foreign file), made once per base."""
    out = cache / f"previous-{BASES.index(base)}"
    if not out.is_dir():
        result = CliRunner().invoke(main, ["render", "--specs", str(base), "--out", str(out)])
        assert result.exit_code == 0, result.output
        (out / FOREIGN[0]).write_text(FOREIGN[1], encoding="utf-8")
    return out


# ------------------------------------------------------------------------ strategies

_HUGE = st.sampled_from([10**100, -(10**100), 2**63, -(2**63) - 1, 2**31, 1e308, -1e308,
                         5e-324, 0, -1, 1.5, 10**18])
_TEXT = st.text(max_size=40)  # any unicode, control characters and all
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), _HUGE,
                     st.floats(allow_nan=True, allow_infinity=True), _TEXT,
                     st.sampled_from(["", "~", "yes", "0x1F", "1e3", "12B", "nvidia-l4",
                                      "hf://org/m", "2x4", "../x", "{{ x }}", "a: b",
                                      "---", "#", "'", '"', "\n"]))
VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)), max_leaves=12)


def _deep(depth: int, kind: str) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value] if kind == "list" else {"k": value}
    return value


_DEEP = st.builds(_deep, st.integers(1, 120), st.sampled_from(["list", "dict"]))


def paths_into(data: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a document (the root included)."""
    found = [here]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths_into(value, (*here, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += paths_into(value, (*here, i))
    return found


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def set_at(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    _get(data, path[:-1])[path[-1]] = value
    return data


def delete_at(data: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return data
    del _get(data, path[:-1])[path[-1]]
    return data


def _leaves_to_strings(data: Any, strings: list[str], used: list[int]) -> Any:
    if isinstance(data, dict):
        return {k: _leaves_to_strings(v, strings, used) for k, v in data.items()}
    if isinstance(data, list):
        return [_leaves_to_strings(v, strings, used) for v in data]
    used[0] += 1
    return strings[used[0] % len(strings)]


def _dump(data: Any) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")


DATA_MUTATIONS = ["set", "delete", "add", "deep", "stringify", "retype"]
TEXT_MUTATIONS = ["truncate", "insert", "bytes", "concat", "empty", "drop", "duplicate",
                  "comment", "reorder"]


def _mutate(draw: Any, files: dict[str, bytes], stats: Counter[str]) -> dict[str, bytes]:
    names = sorted(files)
    name = draw(st.sampled_from(names))
    kind = draw(st.sampled_from(DATA_MUTATIONS + TEXT_MUTATIONS))
    stats[kind] += 1
    raw = files[name]
    if kind in DATA_MUTATIONS:
        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError:  # an earlier mutation broke the text: break it some more
            data = None
        if not isinstance(data, dict | list):
            kind = "insert"
    if kind in DATA_MUTATIONS:
        paths = paths_into(data)
        path = draw(st.sampled_from(paths))
        if kind == "set":
            data = set_at(data, path, draw(VALUES))
        elif kind == "delete":
            data = delete_at(data, path)
        elif kind == "add":
            containers = [p for p in paths if isinstance(_get(data, p), dict)]
            where = draw(st.sampled_from(containers))
            _get(data, where)[draw(_TEXT)] = draw(VALUES)
        elif kind == "deep":
            data = set_at(data, path, draw(_DEEP))
        elif kind == "stringify":  # a random string in every field of the document
            strings = draw(st.lists(_TEXT, min_size=1, max_size=5))
            data = _leaves_to_strings(data, strings, [0])
        else:  # retype: the value at path becomes another type holding it
            value = _get(data, path)
            data = set_at(data, path, draw(st.sampled_from(
                [[value], {"value": value}, str(value), None, 0])))
        files[name] = _dump(data)
    elif kind == "truncate":
        files[name] = raw[: draw(st.integers(0, len(raw)))]
    elif kind == "insert":
        at = draw(st.integers(0, len(raw)))
        files[name] = raw[:at] + draw(_TEXT).encode("utf-8") + raw[at:]
    elif kind == "bytes":
        at = draw(st.integers(0, len(raw)))
        files[name] = raw[:at] + draw(st.binary(min_size=1, max_size=16)) + raw[at:]
    elif kind == "concat":  # two documents in one file
        other = files[draw(st.sampled_from(names))]
        files[name] = raw + b"\n---\n" + other
    elif kind == "empty":
        files[name] = b""
    elif kind == "drop":
        del files[name]
    elif kind == "duplicate":  # the same spec twice under another name
        files[f"copy-{name.replace('/', '-')}"] = raw
    elif kind == "comment":  # harmless: a comment of any text, at the end
        comment = draw(_TEXT).replace("\r", " ").replace("\n", " ")
        files[name] = raw + b"\n# " + comment.encode("utf-8") + b"\n"
    else:  # reorder: harmless, the same data with keys sorted (when it still parses)
        with contextlib.suppress(yaml.YAMLError):
            files[name] = yaml.safe_dump(yaml.safe_load(raw), allow_unicode=True,
                                         sort_keys=True).encode("utf-8")
    return files


# ------------------------------------------------------------------------ the property

_DIAGNOSTIC = re.compile(r"^(?P<file>.+?)(?::\d+:\d+)?: (?:error|warning)\[")


def _assert_problems_name_files(stderr: str, specs: Path) -> None:
    """Every diagnostic names a spec file, or the specs folder itself, first."""
    named = 0
    for line in stderr.splitlines():
        if ": error[" not in line and ": warning[" not in line:
            continue
        match = _DIAGNOSTIC.match(line)
        assert match is not None, line
        assert Path(match["file"]).resolve().is_relative_to(specs.resolve()), line
        named += 1
    assert named or "infergen:" in stderr, stderr

def check_one(base: Path, files: dict[str, bytes], cache: Path, stats: Counter[str]) -> None:
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        root = Path(scratch)
        specs = root / "specs"
        for name, content in files.items():
            (specs / name).parent.mkdir(parents=True, exist_ok=True)
            (specs / name).write_bytes(content)
        specs.mkdir(exist_ok=True)
        out = root / "rendered"
        shutil.copytree(_previous_render(base, cache), out)
        before = _snapshot(out)
        result = CliRunner().invoke(main, ["render", "--specs", str(specs), "--out", str(out)])
        everything = result.stdout + result.stderr
        assert "Traceback" not in everything, everything
        assert result.exit_code in (0, 1), (result.exit_code, everything)
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            repr(result.exception)
        left = {p.name for p in root.iterdir()} - {"rendered", "specs"}
        assert left <= {".rendered.infergen-lock", ".rendered.infergen-manifest",
                        ".rendered.infergen-cache"}, f"a temporary file was left behind: {left}"
        after = _snapshot(out)
        stats[f"exit {result.exit_code}"] += 1
        if result.exit_code == 1:
            assert after == before, "exit 1 but the output folder changed"
            assert "error" in result.stderr or "infergen:" in result.stderr, everything
            _assert_problems_name_files(result.stderr, specs)
            return
        # exit 0: exactly the clean render of these specs, plus the foreign file
        outcome = compile_specs([specs], str(out), catalog.load())
        assert outcome.tree is not None and not outcome.failed
        expected = {path: text.encode("utf-8") for path, text in outcome.tree.items()}
        expected[FOREIGN[0]] = FOREIGN[1].encode("utf-8")
        assert after == expected, "exit 0 but the tree is not the clean render"
        for path, text in after.items():
            if path.endswith(".yaml"):
                assert len(list(yaml.safe_load_all(text))) == 1, path


Mutate = Callable[[Any, dict[str, bytes], Counter[str]], dict[str, bytes]]


def run_property(examples: int, stats: Counter[str], cache: Path, mutate: Mutate,
                 fewest: int = 0) -> None:
    """The property over `examples` derandomized cases: a base's files, `fewest` to 3
    mutations by `mutate`, then _check_one."""
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def property_(data: st.DataObject) -> None:
        stats["examples"] += 1
        base = data.draw(st.sampled_from(BASES), label="base")
        files = files_of(base)
        for _ in range(data.draw(st.integers(fewest, 3), label="mutations")):
            if not files:
                break
            files = mutate(data.draw, files, stats)
        check_one(base, files, cache, stats)

    property_()


def _report(stats: Counter[str], capsys: pytest.CaptureFixture[str],
            record_property: Any) -> None:
    record_property("hypothesis_examples", stats["examples"])
    record_property("hypothesis_renders", stats["exit 0"] + stats["exit 1"])
    with capsys.disabled():
        print(f"\nhypothesis: {stats['examples']} examples generated, "
              f"{stats['exit 0'] + stats['exit 1']} rendered "
              f"({stats['exit 0']} exit 0, {stats['exit 1']} exit 1); mutations: "
              + ", ".join(f"{k} {stats[k]}" for k in DATA_MUTATIONS + TEXT_MUTATIONS))


def test_mutated_specs_exit_0_with_the_clean_tree_or_1_with_the_old_one(
        capsys: pytest.CaptureFixture[str], record_property: Any) -> None:
    stats: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as cache:
        run_property(EXAMPLES, stats, Path(cache), _mutate)
    _report(stats, capsys, record_property)
    assert stats["exit 0"] + stats["exit 1"] >= EXAMPLES
    assert stats["exit 0"] > 0 and stats["exit 1"] > 0


@pytest.mark.slow
def test_mutated_specs_many_examples(capsys: pytest.CaptureFixture[str],
                                     record_property: Any) -> None:
    stats: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as cache:
        run_property(SLOW_EXAMPLES, stats, Path(cache), _mutate)
    _report(stats, capsys, record_property)
    assert stats["exit 0"] + stats["exit 1"] >= SLOW_EXAMPLES


# ------------------------------------------------------------ regressions the fuzzer found


@pytest.mark.parametrize(("kind", "shown"), [("[]", "[]"), ("[x, y]", "['x', 'y']"),
                                             ("{a: 1}", "{'a': 1}")])
def test_a_kind_that_is_not_a_string_is_a_schema_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, shown: str) -> None:
    # was: TypeError: unhashable type: 'list' in validate.check, exit 3
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL.replace(
        "kind: ModelDeployment", f"kind: {kind}")})
    assert_fails(run, [f"specs/m.yaml:2:7: error[schema] kind: kind is {shown}; expected one "
                       "of: Platform, ModelDeployment"])
