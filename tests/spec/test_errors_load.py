"""Error paths of the load step: every way a spec file can fail to become a document.

Each case is a spec file (specs/m.yaml beside a valid platform.yaml) and the exact error
lines `infergen render` must print; every case also checks exit code 1, no traceback and
an untouched output folder (see errorcases.assert_fails).

MODEL is 9 lines long, so text appended to it starts on line 10.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import generator.spec.load
from generator.cli import main
from generator.spec.yamlio import MAX_FILE_BYTES, MAX_NODES, load_plain, parse
from tests.errorcases import MODEL, PLATFORM, SENTINEL, assert_fails, render


def _bomb() -> str:
    """"Billion laughs": 10 levels of 10 aliases each, 10**10 values once expanded."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        aliases = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"l{level}: &l{level} [{aliases}]")
    return "\n".join(lines) + "\n"


_OVERSIZED = MODEL + "# " + "x" * MAX_FILE_BYTES + "\n"

CASES = [
    # --- duplicate keys: point at the second one, name the first one's line
    pytest.param(
        MODEL.replace("  name: m\n", "  name: m\n  name: n\n"),
        ["specs/m.yaml:5:3: error[load] metadata.name: duplicate key 'name' (first defined at "
         "line 4) (hint: keep one of them)"],
        id="duplicate-key"),
    pytest.param(
        MODEL + "  accelerator:\n    type: nvidia-l4\n",
        ["specs/m.yaml:10:3: error[load] spec.accelerator: duplicate key 'accelerator' (first "
         "defined at line 8) (hint: keep one of them)"],
        id="duplicate-section"),
    # --- YAML syntax
    pytest.param(
        "apiVersion: infergen.dev/v1alpha1\nkind: ModelDeployment: x\n",
        ["specs/m.yaml:2:22: error[load] invalid YAML: mapping values are not allowed in this "
         "context"],
        id="syntax-mapping-values"),
    pytest.param(
        "apiVersion: infergen.dev/v1alpha1\n\tkind: ModelDeployment\n",
        ["specs/m.yaml:2:1: error[load] invalid YAML: found a tab character that violates "
         "indentation (while scanning a plain scalar at line 1, column 13)"],
        id="syntax-tab"),
    # --- empty and non-mapping documents
    pytest.param(
        "",
        ["specs/m.yaml:1:1: error[load] file is empty (hint: add a Platform or ModelDeployment, "
         "or delete the file)"],
        id="empty"),
    pytest.param(
        "# only a comment\n\n",
        ["specs/m.yaml:1:1: error[load] file is empty (hint: add a Platform or ModelDeployment, "
         "or delete the file)"],
        id="only-comments"),
    pytest.param(
        "- apiVersion: infergen.dev/v1alpha1\n- kind: ModelDeployment\n",
        ["specs/m.yaml:1:1: error[load] document is not a mapping (hint: a spec starts with "
         "`apiVersion: infergen.dev/v1alpha1`)"],
        id="document-is-a-list"),
    pytest.param(
        "just some text\n",
        ["specs/m.yaml:1:1: error[load] document is not a mapping (hint: a spec starts with "
         "`apiVersion: infergen.dev/v1alpha1`)"],
        id="document-is-a-string"),
    # --- one document per file: point at the second document
    pytest.param(
        MODEL + "---\n" + MODEL.replace("name: m", "name: n"),
        ["specs/m.yaml:11:1: error[load] more than one YAML document in a spec file (hint: put "
         "each ModelDeployment in a file of its own)"],
        id="two-documents"),
    # --- encoding
    pytest.param(
        MODEL.encode() + "  # café\n".encode("latin-1"),
        ["specs/m.yaml:10:8: error[load] byte 0xe9 is not valid UTF-8 (hint: save the file as "
         "UTF-8)"],
        id="latin-1-byte"),
    pytest.param(
        MODEL.encode("utf-16"),
        ["specs/m.yaml:1:1: error[load] byte 0xff is not valid UTF-8 (hint: save the file as "
         "UTF-8)"],
        id="utf-16"),
    # --- limits
    pytest.param(
        "a: " + "[" * 100 + "]" * 100 + "\n",
        ["specs/m.yaml:1:68: error[load] a" + "[0]" * 64 + ": document is nested deeper "
         "than 64 levels"],
        id="too-deep-flow"),
    pytest.param(
        _OVERSIZED,
        [f"specs/m.yaml:1:1: error[load] file is {len(_OVERSIZED.encode())} bytes, larger than "
         f"the {MAX_FILE_BYTES} allowed (hint: split it)"],
        id="oversized"),
    # --- tags: only plain YAML, never a constructor
    pytest.param(
        MODEL + "  data: !!binary aGVsbG8=\n",
        ["specs/m.yaml:10:9: error[load] spec.data: unsupported YAML tag "
         "!!binary (hint: remove the tag)"],
        id="tag-binary"),
    pytest.param(
        MODEL.replace("source: hf://org/m", "source: !custom hf://org/m"),
        ["specs/m.yaml:7:13: error[load] spec.model.source: unsupported YAML tag !custom "
         "(hint: remove the tag)"],
        id="tag-custom-scalar"),
    pytest.param(
        MODEL.replace("  accelerator:\n", "  accelerator: !gpu\n"),
        ["specs/m.yaml:8:16: error[load] spec.accelerator: unsupported YAML tag !gpu (hint: "
         "remove the tag)"],
        id="tag-custom-mapping"),
    pytest.param(
        MODEL + "  x: !!python/object/apply:os.system [echo pwned]\n",
        ["specs/m.yaml:10:6: error[load] spec.x: unsupported YAML tag "
         "!!python/object/apply:os.system (hint: remove the tag)"],
        id="tag-python-object"),
    pytest.param(
        MODEL + "  x: !!set {a, b}\n",
        ["specs/m.yaml:10:6: error[load] spec.x: unsupported YAML tag !!set "
         "(hint: remove the tag)"],
        id="tag-set"),
    # --- explicit core tags only on values they fit (they used to crash: exit 3)
    pytest.param(
        MODEL.replace("source: hf://org/m", "source: hf://org/m\n    dtype: !!int bfloat16"),
        ["specs/m.yaml:8:12: error[load] spec.model.dtype: explicit tag !!int on 'bfloat16' "
         "(hint: remove the tag)"],
        id="tag-int-on-a-word"),
    pytest.param(
        MODEL.replace("type: nvidia-l4", "type: nvidia-l4\n    count: !!float one"),
        ["specs/m.yaml:10:12: error[load] spec.accelerator.count: explicit tag !!float on "
         "'one' (hint: remove the tag)"],
        id="tag-float-on-a-word"),
    pytest.param(
        MODEL + "  monitoring:\n    enabled: !!bool maybe\n",
        ["specs/m.yaml:11:14: error[load] spec.monitoring.enabled: explicit tag !!bool on "
         "'maybe' (hint: remove the tag)"],
        id="tag-bool-on-a-word"),
    pytest.param(
        MODEL.replace("type: nvidia-l4", "type: nvidia-l4\n    count: !!int 1.5"),
        ["specs/m.yaml:10:12: error[load] spec.accelerator.count: explicit tag !!int on '1.5' "
         "(hint: remove the tag)"],
        id="tag-int-on-a-float"),
    pytest.param(
        MODEL + "  deployTo: !!null dev\n",
        ["specs/m.yaml:10:13: error[load] spec.deployTo: explicit tag !!null on 'dev' (hint: "
         "remove the tag)"],
        id="tag-null-on-a-word"),
    pytest.param(
        MODEL + "  x: !!int " + "9" * 50 + "x\n",
        ["specs/m.yaml:10:6: error[load] spec.x: explicit tag !!int on '" + "9" * 37
         + "...' (hint: remove the tag)"],
        id="tag-long-value-is-shortened"),
    pytest.param(
        MODEL + "  x: !!timestamp 2024-01-01\n",
        ["specs/m.yaml:10:6: error[load] spec.x: unsupported YAML tag "
         "!!timestamp (hint: remove the tag)"],
        id="tag-timestamp"),
    pytest.param(
        MODEL + "  x: !!omap [a: 1]\n",
        ["specs/m.yaml:10:6: error[load] spec.x: unsupported YAML tag !!omap "
         "(hint: remove the tag)"],
        id="tag-omap"),
    pytest.param(
        MODEL + "  x: !!pairs [a: 1]\n",
        ["specs/m.yaml:10:6: error[load] spec.x: unsupported YAML tag !!pairs "
         "(hint: remove the tag)"],
        id="tag-pairs"),
    pytest.param(
        MODEL + "  x: !!python/name:os.system\n",
        ["specs/m.yaml:10:6: error[load] spec.x: unsupported YAML tag "
         "!!python/name:os.system (hint: remove the tag)"],
        id="tag-python-name"),
    pytest.param(
        MODEL + "  ? !!int x\n  : 1\n",
        ["specs/m.yaml:10:5: error[load] spec: explicit tag !!int on 'x' (hint: remove the "
         "tag)"],
        id="tag-on-a-key"),
    pytest.param(
        MODEL + "  ? [!!int x, !!python/none y]\n  : 1\n",
        ["specs/m.yaml:10:5: error[load] spec: mapping key [null, null] is not a string (hint: "
         "use a plain string as the key)"],
        id="tags-inside-a-list-key"),
    pytest.param(
        "%TAG !e! tag:example.com,2000:\n---\n" + MODEL,
        ["specs/m.yaml:1:1: error[load] %TAG directives are not supported (hint: remove the "
         "%TAG line and the tags written with it)"],
        id="tag-directive"),
    pytest.param(
        MODEL + "  x: 0x_\n",
        ["specs/m.yaml:10:6: error[load] spec.x: '0x_' is not a valid int (hint: quote it if "
         "it is meant as a string)"],
        id="int-pattern-without-digits"),
    # --- keys that YAML 1.1 does not read as strings
    pytest.param(
        MODEL + "  on: true\n",
        ["specs/m.yaml:10:3: error[load] spec: mapping key 'on' is not a string (hint: quote "
         "it: \"on\")"],
        id="key-on-is-a-bool"),
    pytest.param(
        MODEL + "  yes: 1\n",
        ["specs/m.yaml:10:3: error[load] spec: mapping key 'yes' is not a string (hint: quote "
         "it: \"yes\")"],
        id="key-yes-is-a-bool"),
    pytest.param(
        MODEL + "  1: x\n",
        ["specs/m.yaml:10:3: error[load] spec: mapping key '1' is not a string (hint: quote "
         "it: \"1\")"],
        id="key-int"),
    pytest.param(
        MODEL + "  ~: x\n",
        ["specs/m.yaml:10:3: error[load] spec: mapping key '~' is not a string (hint: quote "
         "it: \"~\")"],
        id="key-null"),
    # --- merge keys
    pytest.param(
        MODEL + "  scaling: &s {minReplicas: 1}\n"
                "  environments:\n"
                "    prod:\n"
                "      scaling:\n"
                "        <<: *s\n",
        ["specs/m.yaml:14:9: error[load] spec.environments.prod.scaling: YAML merge keys (<<) "
         "are not supported (hint: write the fields out)"],
        id="merge-key"),
    pytest.param(
        MODEL + "  <<: [1, 2]\n",
        ["specs/m.yaml:10:3: error[load] spec: YAML merge keys (<<) are not supported (hint: "
         "write the fields out)"],
        id="merge-key-of-a-list"),
    pytest.param(
        MODEL + "  <<: !!int x\n",
        ["specs/m.yaml:10:3: error[load] spec: YAML merge keys (<<) are not supported (hint: "
         "write the fields out)"],
        id="merge-key-of-a-tagged-scalar"),
    # --- numbers that no manifest can carry
    pytest.param(
        MODEL + "  scaling:\n    target: .inf\n",
        ["specs/m.yaml:11:13: error[load] spec.scaling.target: '.inf' is not a finite number"],
        id="float-inf"),
    pytest.param(
        MODEL + "  scaling:\n    target: -.Inf\n",
        ["specs/m.yaml:11:13: error[load] spec.scaling.target: '-.Inf' is not a finite number"],
        id="float-minus-inf"),
    pytest.param(
        MODEL + "  scaling:\n    target: .NaN\n",
        ["specs/m.yaml:11:13: error[load] spec.scaling.target: '.NaN' is not a finite number"],
        id="float-nan"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_load_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str | bytes,
                    expected: list[str]) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert_fails(run, expected)


def test_alias_bomb_stops_quickly_at_max_nodes(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    started = time.monotonic()
    run = render(tmp_path, monkeypatch, {"m.yaml": _bomb()})
    elapsed = time.monotonic() - started
    assert_fails(run, [
        f"specs/m.yaml:1:50: error[load] document expands to more than {MAX_NODES} values "
        "(hint: remove YAML anchors and aliases that repeat large parts)"])
    assert elapsed < 5, f"the alias bomb took {elapsed:.1f}s"


def test_nesting_beyond_the_parser_limit(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # libyaml refuses this itself; the pure-Python parser would recurse. Either way: one
    # load error on the file, never a RecursionError traceback.
    run = render(tmp_path, monkeypatch, {"m.yaml": "a: " + "[" * 10_000 + "]" * 10_000})
    assert len(run.errors) == 1, run.stderr
    assert run.errors[0].startswith("specs/m.yaml:1:"), run.errors
    assert "error[load]" in run.errors[0]
    assert_fails(run, run.errors)


def test_two_bad_files_are_both_reported(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {
        "a.yaml": "apiVersion: [\n",
        "b.yaml": MODEL.replace("  name: m\n", "  name: m\n  name: n\n"),
    })
    assert_fails(run, [
        "specs/a.yaml:2:1: error[load] invalid YAML: did not find expected node content",
        "specs/b.yaml:5:3: error[load] metadata.name: duplicate key 'name' (first defined at "
        "line 4) (hint: keep one of them)",
    ])


def test_symlink_outside_the_specs_folder(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "elsewhere.yaml").write_text(MODEL, encoding="utf-8")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "m.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    run = render(tmp_path, monkeypatch, {})
    assert_fails(run, ["specs/m.yaml: error[load] symbolic link points outside specs (hint: "
                       "copy the spec into the folder instead)"])


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "m.yaml":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL})
    assert_fails(run, ["specs/m.yaml: error[load] cannot read: Permission denied"])


def _render_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   folder: str) -> tuple[int, str, str]:
    out = tmp_path / "rendered"
    out.mkdir()
    (out / "old.yaml").write_text(SENTINEL, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["render", "--specs", folder, "--out", "rendered"])
    assert (out / "old.yaml").read_text(encoding="utf-8") == SENTINEL
    assert sorted(p.name for p in out.iterdir()) == ["old.yaml"]
    return result.exit_code, result.stdout, result.stderr


def test_missing_specs_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, stdout, stderr = _render_folder(tmp_path, monkeypatch, "nope")
    assert code == 1
    assert "Traceback" not in stdout + stderr
    assert "nope: error[load] no such file or folder" in stderr.splitlines()
    assert "infergen: rendered left untouched" in stderr


def test_validate_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "platform.yaml").write_text(PLATFORM, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate", "specs/nope.yaml"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if ": error[" in line]
    assert errors == ["specs/nope.yaml: error[load] no such file or folder"]


# ------------------------------------------------------------ regressions: problems found and fixed


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(
        MODEL + "  deployTo: [dev, prod\n",
        "specs/m.yaml:11:1: error[load] invalid YAML: did not find expected ',' or ']' (while "
        "parsing a flow sequence at line 10, column 13)",
        id="unclosed-bracket"),
    pytest.param(
        MODEL.replace("source: hf://org/m", 'source: "hf://org/m'),
        "specs/m.yaml:10:1: error[load] invalid YAML: found unexpected end of stream (while "
        "scanning a quoted scalar at line 7, column 13)",
        id="unclosed-quote"),
])
def test_syntax_error_says_where_the_construct_started(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert_fails(run, [expected])


def test_control_character_is_one_line(tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL + "  x: \x07\n"})
    assert_fails(run, [
        "specs/m.yaml:10:6: error[load] invalid YAML: unacceptable character #x0007: control "
        "characters are not allowed"])


def test_complex_key_is_described(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL + "  ? [a, b]\n  : x\n"})
    assert_fails(run, [
        "specs/m.yaml:10:5: error[load] spec: mapping key [a, b] is not a string (hint: use a "
        "plain string as the key)"])


def test_non_mapping_points_at_the_document(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": "# a model\n\n- name: m\n"})
    assert_fails(run, [
        "specs/m.yaml:3:1: error[load] document is not a mapping (hint: a spec starts with "
        "`apiVersion: infergen.dev/v1alpha1`)"])


def test_dangling_symlink_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "gone.yaml").symlink_to(tmp_path / "deleted.yaml")
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL})
    assert_fails(run, ["specs/gone.yaml: error[load] symbolic link points to a missing file"])


def test_missing_specs_folder_is_the_only_error(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, stderr = _render_folder(tmp_path, monkeypatch, "nope")
    assert code == 1
    assert [line for line in stderr.splitlines() if ": error[" in line] == [
        "nope: error[load] no such file or folder"]


def test_no_platform_names_the_folder_given(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "other").mkdir()
    code, _, stderr = _render_folder(tmp_path, monkeypatch, "other")
    assert code == 1
    assert [line for line in stderr.splitlines() if ": error[" in line] == [
        "other: error[check] no Platform found (hint: add other/platform.yaml with "
        "`kind: Platform`)"]


def test_too_many_spec_files_names_the_folder(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generator.spec.load, "MAX_SPEC_FILES", 2)
    run = render(tmp_path, monkeypatch, {"a.yaml": MODEL,
                                         "b.yaml": MODEL.replace("name: m", "name: b")})
    assert_fails(run, ["specs: error[load] 3 spec files found, more than the 2 allowed"])


def test_broken_platform_is_not_also_missing(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL,
                                         "platform.yaml": PLATFORM + "  x: [\n"})
    assert_fails(run, [
        "specs/platform.yaml:14:1: error[load] invalid YAML: did not find expected node "
        "content"])


def test_broken_model_does_not_warn_about_empty_environments(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL + "  on: true\n"})
    assert run.errors == [
        "specs/m.yaml:10:3: error[load] spec: mapping key 'on' is not a string (hint: quote "
        'it: "on")']
    assert run.warnings == [], run.stderr


@pytest.mark.parametrize(("tagged", "plain"), [
    ("!!str bfloat16", "bfloat16"),
    ("!!str 12", "'12'"),
    ("!!int 2", "2"),
    ("!!int 0x10", "16"),
    ("!!float 1", "1.0"),
    ("!!float 0.5", "0.5"),
    ("!!bool yes", "true"),
    ("!!null ~", "null"),
    ("!!null ''", "null"),
    ('!<tag:yaml.org,2002:int> "2"', "2"),
])
def test_core_tags_on_values_they_fit_are_the_plain_value(tagged: str, plain: str) -> None:
    documents, problems = parse(f"a: {tagged}\n", "m.yaml")
    assert problems == []
    assert documents[0].data == load_plain(f"a: {plain}\n")


@pytest.mark.parametrize(("text", "value"), [
    ("a: 2024-01-01\n", "2024-01-01"),  # dates stay strings: the schema says what they mean
    ("a: 2024-01-01T10:00:00Z\n", "2024-01-01T10:00:00Z"),
    ("a: =\n", "="),  # YAML 1.1's !!value: a plain "=" was refused as a tag nobody wrote
])
def test_untagged_values_pyyaml_would_type_stay_strings(text: str, value: str) -> None:
    documents, problems = parse(text, "m.yaml")
    assert problems == []
    assert documents[0].data == {"a": value}
