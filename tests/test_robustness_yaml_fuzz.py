"""Bad YAML never crashes: text-level mutations of real specs with the YAML features a
careless or hostile author reaches for (hypothesis).

Where test_robustness_fuzz mutates the data of a spec, this edits its text the way a person
would: explicit tags (core, timestamp, binary, set, omap, python, custom, verbatim) on values
and keys, anchors and aliases, merge keys of every kind, `%YAML`/`%TAG`/unknown directives,
document markers, deleted, duplicated and re-indented lines. The contract is the same
(tests.test_robustness_fuzz.check_one): exit 0 with exactly the clean render, or exit 1
with the previous tree untouched and every problem naming a spec file; never exit 3.

Derandomized: `make test` runs the same YAML_EXAMPLES (>= 300) every time. The long run is
behind the `fuzz_long` marker, which the default run leaves out:
`pytest -m fuzz_long tests/test_robustness_yaml_fuzz.py` (INFERGEN_FUZZ_LONG_EXAMPLES).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from tests.test_robustness_fuzz import run_property

YAML_EXAMPLES = int(os.environ.get("INFERGEN_FUZZ_YAML_EXAMPLES", "300"))
LONG_EXAMPLES = int(os.environ.get("INFERGEN_FUZZ_LONG_EXAMPLES", "3000"))

TAGS = ["!!int", "!!float", "!!bool", "!!null", "!!str", "!!map", "!!seq", "!!timestamp",
        "!!binary", "!!set", "!!omap", "!!pairs", "!!merge", "!!value", "!!yaml",
        "!!python/object/apply:os.system", "!!python/name:os.system", "!!python/tuple",
        "!custom", "!", "!<tag:yaml.org,2002:int>", "!<!>", "!e!x", "!!"]
MERGES = ["<<: *a", "<<: {x: 1}", "<<: [*a]", "<<: 3", "<<: !!int x", "<<: [1, 2]",
          "<<: {}", "<<:", "<<: *undefined", "? <<\n: {}"]
DIRECTIVES = ["%YAML 1.1\n---\n", "%YAML 1.2\n---\n", "%YAML 2.0\n---\n", "%YAML 1.1\n",
              "%TAG ! tag:example.com,2000:\n---\n", "%TAG !! tag:evil.example,2000:\n---\n",
              "%TAG !e! tag:example.com,2000:\n---\n", "%FOO bar\n---\n",
              "%YAML 1.1\n%YAML 1.1\n---\n", "%\n---\n"]
MARKERS = ["---", "...", "--- |", "--- !!map", "... # end", "--- &a", "---\n---", "--- >"]
YAML_MUTATIONS = ["tag", "tag_key", "anchor_alias", "merge", "directive", "marker",
                  "delete_line", "reindent", "duplicate_line"]
_VALUE = re.compile(r"^(?P<head>\s*(?:- )?[^\s#:][^:#]*: |\s*- )(?P<value>.*)$")
_KEY = re.compile(r"^(?P<indent>\s*(?:- )?)(?P<key>[A-Za-z][^:#]*):")


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" "))]


def _pick(draw: Any, lines: list[str], pattern: re.Pattern[str]) -> int | None:
    found = [i for i, line in enumerate(lines) if pattern.match(line)]
    return draw(st.sampled_from(found)) if found else None


def _mutate_text(draw: Any, text: str, stats: Counter[str]) -> str:
    kind = draw(st.sampled_from(YAML_MUTATIONS))
    stats[kind] += 1
    lines = text.split("\n")
    at = draw(st.integers(0, max(len(lines) - 1, 0)))
    if kind == "tag":
        index = _pick(draw, lines, _VALUE)
        if index is not None:
            match = _VALUE.match(lines[index])
            assert match is not None
            lines[index] = f"{match['head']}{draw(st.sampled_from(TAGS))} {match['value']}"
    elif kind == "tag_key":
        index = _pick(draw, lines, _KEY)
        if index is not None:
            match = _KEY.match(lines[index])
            assert match is not None
            lines[index] = (f"{match['indent']}{draw(st.sampled_from(TAGS))} "
                            + lines[index][len(match["indent"]):])
    elif kind == "anchor_alias":
        first, second = _pick(draw, lines, _KEY), _pick(draw, lines, _VALUE)
        if first is not None:
            key = _KEY.match(lines[first])
            assert key is not None
            rest = lines[first][key.end():]
            lines[first] = lines[first][: key.end()] + " &a" + rest
        if second is not None:
            value = _VALUE.match(lines[second])
            assert value is not None
            lines[second] = value["head"] + draw(st.sampled_from(["*a", "*a ", "*b", "[*a]",
                                                                  "{k: *a}"]))
    elif kind == "merge":
        merge = draw(st.sampled_from(MERGES))
        indent = _indent(lines[at]) if lines else ""
        lines.insert(at, "\n".join(indent + part for part in merge.split("\n")))
    elif kind == "directive":
        return draw(st.sampled_from(DIRECTIVES)) + text
    elif kind == "marker":
        lines.insert(at, draw(st.sampled_from(MARKERS)))
    elif kind == "delete_line":
        if lines:
            del lines[at]
    elif kind == "reindent":
        if lines:
            shift = draw(st.sampled_from([-4, -2, -1, 1, 2, 4]))
            line = lines[at]
            lines[at] = (" " * shift + line) if shift > 0 else line[min(-shift,
                                                                         len(_indent(line))):]
    else:  # duplicate_line: often a duplicate key
        if lines:
            lines.insert(at, lines[at])
    return "\n".join(lines)


def _mutate_one_file(draw: Any, files: dict[str, bytes],
                     stats: Counter[str]) -> dict[str, bytes]:
    name = draw(st.sampled_from(sorted(files)), label="file")
    return {**files, name: _mutate_text(draw, files[name].decode("utf-8"), stats).encode()}


def _run(examples: int, stats: Counter[str], cache: Path) -> None:
    run_property(examples, stats, cache, _mutate_one_file, fewest=1)


def _report(stats: Counter[str], capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\nhypothesis (YAML text): {stats['examples']} examples, "
              f"{stats['exit 0']} exit 0, {stats['exit 1']} exit 1; mutations: "
              + ", ".join(f"{k} {stats[k]}" for k in YAML_MUTATIONS))


def test_yaml_text_mutations_exit_0_or_1_never_3(capsys: pytest.CaptureFixture[str]) -> None:
    stats: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as cache:
        _run(YAML_EXAMPLES, stats, Path(cache))
    _report(stats, capsys)
    assert stats["exit 0"] + stats["exit 1"] >= YAML_EXAMPLES
    assert stats["exit 0"] > 0 and stats["exit 1"] > 0
    assert all(stats[kind] > 0 for kind in YAML_MUTATIONS), stats


@pytest.mark.fuzz_long
def test_yaml_text_mutations_long_run(capsys: pytest.CaptureFixture[str]) -> None:
    stats: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as cache:
        _run(LONG_EXAMPLES, stats, Path(cache))
    _report(stats, capsys)
    assert stats["exit 0"] + stats["exit 1"] >= LONG_EXAMPLES
