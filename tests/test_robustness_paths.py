"""Bad input never hurts: paths. Specs that are symbolic links out of specs/, names that
would escape rendered/, and file names that collide on case-insensitive file systems.

Every refusal is exit 1 with the exact diagnostic, no traceback, the previous render
untouched (tests/errorcases.py), and nothing written outside the output folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.errorcases import MODEL, PLATFORM, assert_fails, render


def _everything(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


# ------------------------------------------------------------------ symbolic links


def test_a_spec_symlinked_out_of_specs_is_refused(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "m.yaml").write_text(MODEL, encoding="utf-8")
    (tmp_path / "specs" / "llm").mkdir(parents=True)
    (tmp_path / "specs" / "llm" / "m.yaml").symlink_to(Path("../../secret/m.yaml"))
    run = render(tmp_path, monkeypatch, {})
    assert_fails(run, ["specs/llm/m.yaml: error[load] symbolic link points outside specs "
                       "(hint: copy the spec into the folder instead)"])


def test_a_symlink_that_leaves_and_comes_back_is_judged_by_its_target(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # specs/a.yaml -> ../hop.yaml -> specs/real/m.yaml: the final target is inside specs/
    (tmp_path / "specs" / "real").mkdir(parents=True)
    (tmp_path / "specs" / "real" / "m.yaml").write_text(MODEL, encoding="utf-8")
    (tmp_path / "hop.yaml").symlink_to(tmp_path / "specs" / "real" / "m.yaml")
    (tmp_path / "specs" / "a.yaml").symlink_to(tmp_path / "hop.yaml")
    run = render(tmp_path, monkeypatch, {})
    # accepted as a file, then refused as the same model defined twice: not as a link
    assert all("symbolic link" not in line for line in run.errors), run.stderr
    assert run.exit_code == 1 and "Traceback" not in run.stderr


def test_a_folder_symlinked_out_of_specs_is_refused_not_silently_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "m.yaml").write_text(MODEL, encoding="utf-8")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "shared").symlink_to(tmp_path / "shared", target_is_directory=True)
    run = render(tmp_path, monkeypatch, {})
    assert_fails(run, ["specs/shared: error[load] symbolic link to a folder outside specs "
                       "(hint: copy the specs into the folder instead)"])


def test_a_symlink_to_a_system_file_is_never_read(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "passwd.yaml").symlink_to("/etc/passwd")
    run = render(tmp_path, monkeypatch, {})
    assert_fails(run, ["specs/passwd.yaml: error[load] symbolic link points outside specs "
                       "(hint: copy the spec into the folder instead)"])
    assert "root:" not in run.stdout + run.stderr


# ------------------------------------------------------------ names that would escape rendered/

# Every path in the tree is <env>/<namespace>/<model>/<kind>.yaml, namespaces/<ns>.yaml,
# bootstrap/<cluster>.yaml or dashboards/<env>.yaml: each part a DNS label or an environment
# name, by schema, before anything is built. These values must all be refused.
ESCAPES = ["../x", "../../etc", "..", ".", "/etc", "/tmp/x", "a/b", "a\\b", "~root", "x/..",
           "%2e%2e", "..\u2215x", "C:", ""]


@pytest.mark.parametrize("value", ESCAPES)
@pytest.mark.parametrize("field", ["name", "namespace"])
def test_a_model_name_or_namespace_cannot_escape_the_tree(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str, value: str) -> None:
    meta = {"name": "m", "namespace": "ns", field: value}
    text = MODEL.replace("  name: m\n", f"  name: {json.dumps(meta['name'])}\n"
                                        f"  namespace: {json.dumps(meta['namespace'])}\n")
    before = _everything(tmp_path)
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    assert run.exit_code == 1, run.stderr
    assert any(f"metadata.{field}:" in line for line in run.errors), run.stderr
    assert_fails(run, run.errors)
    # the cache beside the tree remembers the diagnostics; nothing else is new
    new = {p for p in _everything(tmp_path) - before
           if not p.startswith(".rendered.infergen-cache")}
    assert new <= {"specs", "specs/m.yaml", "specs/platform.yaml", "rendered", "rendered/dev",
                   "rendered/dev/old.yaml"}


@pytest.mark.parametrize("value", ["../x", "/etc", "a/b", ".."])
@pytest.mark.parametrize("where", ["environment", "cluster"])
def test_an_environment_or_cluster_name_cannot_escape_the_tree(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, value: str) -> None:
    quoted = '"' + value + '"'
    platform = (PLATFORM.replace("- name: dev", f"- name: {quoted}") if where == "environment"
                else PLATFORM.replace("[dev-1]", f"[{quoted}]"))
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL}, platform=platform)
    assert run.exit_code == 1, run.stderr
    assert any("platform.yaml" in line and "spec.environments[0]" in line
               for line in run.errors), run.stderr
    assert_fails(run, run.errors)
    assert not (tmp_path / "x").exists() and not (tmp_path / "a").exists()


def test_deploy_to_and_clusters_cannot_name_paths(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {
        "m.yaml": MODEL + '  deployTo: ["../dev"]\n  clusters: ["/etc"]\n'})
    assert [line.split(" error[")[1].split(":")[0] for line in run.errors] == [
        "schema] spec.deployTo[0]", "schema] spec.clusters[0]"], run.stderr
    assert_fails(run, run.errors)


# ------------------------------------------------------------ case-insensitive collisions


def test_file_names_differing_only_in_case_are_refused(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {
        "Llama.yaml": MODEL.replace("name: m", "name: llama-a"),
        "llama.yaml": MODEL.replace("name: m", "name: llama-b")})
    assert_fails(run, [
        "specs/llama.yaml: error[load] file names specs/Llama.yaml and specs/llama.yaml differ "
        "only in case: they are one file on macOS and Windows (hint: rename one of them)"])


def test_suffixes_differing_only_in_case_are_refused(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {
        "m.YAML": MODEL.replace("name: m", "name: a"),
        "m.yaml": MODEL.replace("name: m", "name: b")})
    assert_fails(run, [
        "specs/m.yaml: error[load] file names specs/m.YAML and specs/m.yaml differ only in "
        "case: they are one file on macOS and Windows (hint: rename one of them)"])


def test_folder_names_differing_only_in_case_are_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {
        "LLM/a.yaml": MODEL.replace("name: m", "name: a"),
        "llm/b.yaml": MODEL.replace("name: m", "name: b"),
        "llm/c.yaml": MODEL.replace("name: m", "name: c")})
    assert_fails(run, [
        "specs/llm/b.yaml: error[load] folder names specs/LLM and specs/llm differ only in "
        "case (specs/LLM/a.yaml, specs/llm/b.yaml): they are one folder on macOS and Windows "
        "(hint: rename one of them)",
        "specs/llm/c.yaml: error[load] folder names specs/LLM and specs/llm differ only in "
        "case (specs/LLM/a.yaml, specs/llm/c.yaml): they are one folder on macOS and Windows "
        "(hint: rename one of them)"])


def test_unicode_case_folding_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # APFS folds case beyond ASCII: Ä and ä are one name there too
    run = render(tmp_path, monkeypatch, {
        "\u00c4.yaml": MODEL.replace("name: m", "name: a"),
        "\u00e4.yaml": MODEL.replace("name: m", "name: b")})
    assert_fails(run, [
        "specs/\u00e4.yaml: error[load] file names specs/\u00c4.yaml and specs/\u00e4.yaml "
        "differ only in case: they are one file on macOS and Windows (hint: rename one of them)"])


def test_same_name_in_different_folders_is_not_a_collision(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {
        "a/m.yaml": MODEL.replace("name: m", "name: a"),
        "b/M.yaml": MODEL.replace("name: m", "name: b"),
        "m.yml": MODEL})
    assert run.exit_code == 0, run.stderr
    assert "differ only in case" not in run.stderr


# --------------------------------------------- every path a folder-walk message prints is escaped
# (as the read step escapes a spec's name: spec/load.escaped): a control character in a folder's
# name never starts a line of its own, nor injects into a message

BAD = "x\nkind: ClusterRoleBinding\x1b[31m"
SHOWN = "x\\nkind: ClusterRoleBinding\\x1b[31m"


def _bad_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "specs" / BAD
    try:
        folder.mkdir(parents=True)
    except OSError:
        pytest.skip("this file system refuses the name")
    return folder


def _escaped_only(run: object) -> None:
    stderr = run.stderr  # type: ignore[attr-defined]
    assert "\nkind" not in stderr and "\x1b" not in stderr and "Traceback" not in stderr


def test_a_symlink_out_of_a_badly_named_folder_is_shown_escaped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (_bad_folder(tmp_path) / "m.yaml").symlink_to("/etc/passwd")
    run = render(tmp_path, monkeypatch, {})
    assert_fails(run, [f"specs/{SHOWN}/m.yaml: error[load] symbolic link points outside "
                       "specs (hint: copy the spec into the folder instead)"])
    _escaped_only(run)


def test_a_missing_link_target_in_a_badly_named_folder_is_shown_escaped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (_bad_folder(tmp_path) / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    run = render(tmp_path, monkeypatch, {})
    assert_fails(run, [f"specs/{SHOWN}/gone.yaml: error[load] symbolic link points to a "
                       "missing file"])
    _escaped_only(run)


def test_a_folder_link_out_of_a_badly_named_folder_is_shown_escaped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "shared").mkdir()
    (_bad_folder(tmp_path) / "shared").symlink_to(tmp_path / "shared",
                                                  target_is_directory=True)
    run = render(tmp_path, monkeypatch, {})
    assert_fails(run, [f"specs/{SHOWN}/shared: error[load] symbolic link to a folder outside "
                       "specs (hint: copy the specs into the folder instead)"])
    _escaped_only(run)


def test_a_case_clash_in_a_badly_named_folder_is_shown_escaped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _bad_folder(tmp_path)
    (folder / "A.yaml").write_text(MODEL.replace("name: m", "name: a"), encoding="utf-8")
    (folder / "a.yaml").write_text(MODEL.replace("name: m", "name: b"), encoding="utf-8")
    run = render(tmp_path, monkeypatch, {})
    assert run.exit_code == 1
    assert f"specs/{SHOWN}/a.yaml: error[load] file names specs/{SHOWN}/A.yaml and " \
        f"specs/{SHOWN}/a.yaml differ only in case: they are one file on macOS and Windows " \
        "(hint: rename one of them)" in run.errors, run.stderr
    _escaped_only(run)


def test_a_folder_case_clash_beside_a_badly_named_folder_is_shown_escaped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for case, name in ((BAD.upper(), "a"), (BAD, "b")):
        folder = tmp_path / "specs" / case
        try:
            folder.mkdir(parents=True)
        except OSError:
            pytest.skip("this file system refuses the name")
        (folder / "m.yaml").write_text(MODEL.replace("name: m", f"name: {name}"),
                                       encoding="utf-8")
    run = render(tmp_path, monkeypatch, {})
    assert run.exit_code == 1
    upper = SHOWN.replace("x\\n", "X\\n").replace("kind: ClusterRoleBinding",
                                                  "KIND: CLUSTERROLEBINDING").replace(
        "[31m", "[31M")
    assert any(f"folder names specs/{upper} and specs/{SHOWN} differ only in case "
               f"(specs/{upper}/m.yaml, specs/{SHOWN}/m.yaml)" in e for e in run.errors), \
        run.stderr
    _escaped_only(run)


def test_a_missing_path_argument_is_shown_escaped(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": MODEL}, args=("--specs", f"specs/{BAD}"))
    assert run.exit_code == 1
    assert run.errors == [f"specs/{SHOWN}: error[load] no such file or folder"], run.stderr
    _escaped_only(run)
