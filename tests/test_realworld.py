"""The real-world corpus (tests/realworld, README.md there): serving configurations ported
from public repositories, each rendered alone through the real pipeline. Its index records
where each came from and what must happen to it, decided with the engine's own parser:
it renders, or it is refused at the spec line for the reason the engine would exit. A
config the engine accepts that infergen refuses (or warns about without cause) fails here,
and so does one the engine rejects that infergen renders."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.errorcases import assert_one_line_each, render

CORPUS = ROOT / "tests" / "realworld"
CASES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "index.yaml").read_text())["cases"]

DIAGNOSTIC = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): "
                        r"(?P<level>error|warning)\[\w+\] (?P<at>\S+): (?P<says>.*)$")


def _param(case: dict[str, Any]) -> Any:
    return pytest.param(case, id=case["file"].removesuffix(".yaml"))


def _matches(found: dict[str, str], expected: dict[str, str]) -> bool:
    return (found["level"] == expected["level"] and found["at"] == expected["at"]
            and expected["says"] in found["says"])


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_real_config_renders_or_is_refused_as_the_engine_would(
        case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = Path(case["file"]).name
    run = render(tmp_path, monkeypatch, {name: (CORPUS / case["file"]).read_text()})
    assert "Traceback" not in run.stdout + run.stderr, run.stderr
    assert_one_line_each(run)
    found = [m.groupdict() for line in run.stderr.splitlines()
             if (m := DIAGNOSTIC.match(line)) is not None]
    # every diagnostic sits at a line of this spec, and is one the index expects
    assert all(f["file"] == f"specs/{name}" and int(f["line"]) > 0 for f in found), run.stderr
    expected = case["diagnostics"]
    unexpected = [f"{f['level']} {f['at']}: {f['says']}" for f in found
                  if not any(_matches(f, e) for e in expected)]
    missing = [e for e in expected if not any(_matches(f, e) for f in found)]
    assert (unexpected, missing) == ([], []), run.stderr
    if case["expect"] == "renders":
        assert run.exit_code == 0, run.stderr
    else:
        assert run.exit_code == 1, run.stderr
        assert run.out_after == run.out_before


def _index(folder: Path) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = yaml.safe_load((folder / "index.yaml").read_text())["cases"]
    return cases


def test_every_corpus_spec_is_indexed_with_its_source() -> None:
    """Each spec file has one index entry naming the repository, path and full commit it was
    ported from, an expectation and its reason; the header comment names the same source."""
    folder = CORPUS
    cases = _index(folder)
    files = sorted(p.relative_to(folder).as_posix() for p in folder.glob("*/*.yaml"))
    assert sorted(c["file"] for c in cases) == files
    for case in cases:
        source = case["source"]
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", source["repository"]), case["file"]
        assert re.fullmatch(r"[0-9a-f]{40}", source["commit"]), case["file"]
        assert case["expect"] in ("renders", "refused") and case["why"], case["file"]
        assert (case["expect"] == "refused") == any(
            d["level"] == "error" for d in case["diagnostics"]), case["file"]
        header = (folder / case["file"]).read_text().splitlines()[0]
        assert header.startswith(f"# Ported from {source['repository']} {source['path']} "
                                 f"@{source['commit'][:12]}"), case["file"]


def test_the_corpus_is_large_and_mixed() -> None:
    """At least 40 configurations run, from several sources and engines, and both outcomes
    occur (a corpus of one kind tests nothing)."""
    specs = [yaml.safe_load((CORPUS / c["file"]).read_text()) for c in CASES]
    assert len(CASES) >= 40
    assert len({c["source"]["repository"] for c in CASES}) >= 6
    assert {s["spec"]["server"]["engine"] for s in specs} >= {"vllm", "tgi", "tei", "sglang",
                                                               "jetstream"}
    assert {c["expect"] for c in CASES} == {"renders", "refused"}
