"""Bad input never hurts: the load limits sit exactly where they say, and each is refused
with a message naming the limit (tests/spec/test_errors_load.py holds the exact CLI lines for
an oversized file, too deep flow nesting, an alias bomb and too many spec files)."""

from __future__ import annotations

from pathlib import Path

import pytest

import generator.spec.load
from generator.spec.yamlio import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, decode, parse
from tests.errorcases import MODEL, assert_fails, render


def test_file_size_limit_is_exact() -> None:
    at_limit = b"a: " + b"x" * (MAX_FILE_BYTES - 4) + b"\n"
    assert len(at_limit) == MAX_FILE_BYTES
    assert decode(at_limit, "m.yaml") == (at_limit.decode(), [])
    text, problems = decode(at_limit + b"\n", "m.yaml")
    assert text is None
    assert [p.message for p in problems] == [
        f"file is {MAX_FILE_BYTES + 1} bytes, larger than the {MAX_FILE_BYTES} allowed"]
    assert problems[0].hint == "split it"


def _block_nesting(levels: int) -> str:
    return "".join(f"{'  ' * i}k{i}:\n" for i in range(levels)) + f"{'  ' * levels}leaf\n"


def test_nesting_limit_is_exact_in_block_style() -> None:
    documents, problems = parse(_block_nesting(MAX_DEPTH), "m.yaml")
    assert problems == [] and len(documents) == 1
    documents, problems = parse(_block_nesting(MAX_DEPTH + 1), "m.yaml")
    assert documents == []
    assert [(p.line, p.message) for p in problems] == [
        (MAX_DEPTH + 2, f"document is nested deeper than {MAX_DEPTH} levels")]
    assert problems[0].path.startswith("k0.k1.k2")


def test_alias_expansion_limit_is_exact() -> None:
    # a root mapping, a list, and its items: 2 + n values once aliases are expanded
    def listing(items: int) -> str:
        return "a: &a [" + ", ".join(["x"] * 99) + "]\nb: [" + ", ".join(
            ["*a"] * ((items - 100) // 100)) + "]\n"

    documents, problems = parse("a: [" + ", ".join(["x"] * (MAX_NODES - 2)) + "]\n", "m.yaml")
    assert problems == [] and len(documents) == 1
    documents, problems = parse("a: [" + ", ".join(["x"] * (MAX_NODES - 1)) + "]\n", "m.yaml")
    assert [p.message for p in problems] == [
        f"document expands to more than {MAX_NODES} values"]
    documents, problems = parse(listing(MAX_NODES * 2), "m.yaml")  # aliases count expanded
    assert [p.message for p in problems] == [
        f"document expands to more than {MAX_NODES} values"]
    assert problems[0].hint == "remove YAML anchors and aliases that repeat large parts"


def test_an_alias_bomb_inside_a_real_spec_field(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = "".join(f"    - &l{i} [" + ", ".join([f"*l{i - 1}" if i else "lol"] * 10) + "]\n"
                   for i in range(8))
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL + "  server:\n    args:\n" + bomb})
    assert len(run.errors) == 1, run.stderr
    assert run.errors[0].startswith("specs/m.yaml:")
    assert run.errors[0].endswith(f"error[load] document expands to more than {MAX_NODES} "
                                  "values (hint: remove YAML anchors and aliases that repeat "
                                  "large parts)")
    assert_fails(run, run.errors)


def test_spec_file_count_limit_is_exact(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generator.spec.load, "MAX_SPEC_FILES", 3)  # platform.yaml, a.yaml, b.yaml
    files: dict[str, str | bytes] = {"a.yaml": MODEL.replace("name: m", "name: a"),
             "b.yaml": MODEL.replace("name: m", "name: b")}
    run = render(tmp_path, monkeypatch, files)
    assert run.exit_code == 0, run.stderr
    run = render(tmp_path, monkeypatch, {**files, "c.yml": MODEL.replace("name: m", "name: c")})
    assert_fails(run, ["specs: error[load] 4 spec files found, more than the 3 allowed"])


def test_the_limits_are_generous_for_real_specs_and_small_for_attacks() -> None:
    assert (MAX_FILE_BYTES, MAX_DEPTH, MAX_NODES) == (1024 * 1024, 64, 50_000)
    assert generator.spec.load.MAX_SPEC_FILES == 20_000
