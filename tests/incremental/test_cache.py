"""The content-addressed cache (generator/incremental/cache.py) is never stale and never
changes a byte: a cached run gives exactly the uncached run's tree and diagnostics, whatever
changed."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator import catalog, per_spec, pipeline
from generator.cli import main
from generator.incremental import cache
from generator.output.text import digests_of
from generator.output.write import write
from generator.pipeline import Outcome, Run, compile_specs
from tests.conftest import CASES, ROOT, golden_cases, read_tree
from tests.errorcases import MODEL, PLATFORM

OUT = "rendered"


def _uncached(specs: Path, allow_empty: set[str] | None = None) -> Outcome:
    return compile_specs([specs], OUT, catalog.load(), allow_empty=allow_empty or set())


def _cached(specs: Path, folder: Path, allow_empty: Collection[str] | None = frozenset(),
            reuse: bool = False) -> Outcome:
    """A render (a validate, with `allow_empty` None) through the cache in `folder`, whose
    writes are then done, as the CLI does once the tree is safe. With `reuse`, a known run
    gives only its tree's digests (the CLI then looks whether that tree is in place)."""
    store = cache.DiskCache(folder)
    run = Run((specs,), OUT, "validate" if allow_empty is None else "render",
              frozenset(allow_empty or ()), reuse=reuse)
    outcome = pipeline.compile(run, catalog.load(), store)
    store.flush()
    return outcome


def _same(a: Outcome, b: Outcome) -> None:
    assert a.diagnostics == b.diagnostics
    assert a.tree == b.tree
    assert list((a.tree or {}).items()) == list((b.tree or {}).items())  # and its order
    assert a.bug == b.bug


class Calls:
    """Counts calls of the pipeline's expensive parts."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.counts: dict[str, int] = {}
        for module, name in ((per_spec, "from_file"), (per_spec, "check_model"),
                             (per_spec, "build_model"), (per_spec, "validate_unit")):
            self._spy(monkeypatch, module, name)

    def _spy(self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
        real = getattr(module, name)

        def spy(*args: Any, **kwargs: Any) -> Any:
            self.counts[name] = self.counts.get(name, 0) + 1
            return real(*args, **kwargs)
        monkeypatch.setattr(module, name, spy)

    def __getitem__(self, name: str) -> int:
        return self.counts.get(name, 0)


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """A platform and three models."""
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "platform.yaml").write_text(PLATFORM)
    for name in ("a", "b", "c"):
        (specs / f"{name}.yaml").write_text(MODEL.replace("name: m", f"name: {name}"))
    return specs


def test_a_second_run_is_a_hit_that_skips_the_pipeline(
        fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cache"
    first = _cached(fleet, folder)
    assert first.tree and not first.failed and first.digests == digests_of(first.tree)
    calls = Calls(monkeypatch)
    hit = _cached(fleet, folder, reuse=True)
    assert hit.tree is None and hit.digests == first.digests and not hit.failed
    assert hit.diagnostics == first.diagnostics
    assert calls["validate_unit"] == 0 and calls["from_file"] == 0
    # not in place: the texts come from the cached units, none checked or built again
    _same(_cached(fleet, folder), first)
    assert calls["from_file"] == calls["check_model"] == calls["build_model"] == 0
    _same(first, _uncached(fleet))


def test_one_spec_changed_recomputes_only_that_spec(
        fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cache"
    _cached(fleet, folder)
    (fleet / "b.yaml").write_text((fleet / "b.yaml").read_text() + "# edited\n")
    (fleet / "c.yaml").write_text((fleet / "c.yaml").read_text().replace("name: c", "name: d"))
    expected = _uncached(fleet)
    calls = Calls(monkeypatch)
    _same(_cached(fleet, folder), expected)
    assert calls["from_file"] == 2  # b and c; a and the platform come from the cache
    assert calls["check_model"] == 2 and calls["build_model"] == 2


def test_a_write_reads_no_cached_text_of_a_file_in_place(
        fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cached unit's texts are decoded only when written: the tree gives every digest
    without them (from the entry), and a file already in place is never written."""
    folder, out = tmp_path / "cache", tmp_path / "out"
    write(out, dict(_cached(fleet, folder).tree or {}))
    (fleet / "b.yaml").write_text((fleet / "b.yaml").read_text() + "# edited\n")
    decoded: list[int] = []
    real = cache.decode_text
    monkeypatch.setattr(cache, "decode_text", lambda *a: decoded.append(1) or real(*a))
    changed = _cached(fleet, folder)
    assert changed.tree is not None and changed.digests is not None
    assert not write(out, changed.tree, changed.digests).any
    assert decoded == []  # a and c came from the cache, and were not read
    assert changed.digests == digests_of(dict(changed.tree))  # reads them all
    assert len(decoded) > 0
    _same(changed, _uncached(fleet))


def test_a_platform_change_rechecks_every_model(
        fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cache"
    _cached(fleet, folder)
    (fleet / "platform.yaml").write_text(PLATFORM.replace("dev-1", "dev-one"))
    expected = _uncached(fleet)
    calls = Calls(monkeypatch)
    changed = _cached(fleet, folder)
    _same(changed, expected)
    assert calls["from_file"] == 1 and calls["check_model"] == 3
    assert "bootstrap/dev-one.yaml" in (changed.tree or {})


def test_a_generator_change_misses_everything(
        fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change to the catalog, the schemas or the generator's code changes the fingerprint
    (monkeypatched here), and so every key."""
    folder = tmp_path / "cache"
    _cached(fleet, folder)
    monkeypatch.setattr(cache, "fingerprint", lambda: "another generator")
    expected = _uncached(fleet)
    calls = Calls(monkeypatch)
    _same(_cached(fleet, folder), expected)
    assert calls["from_file"] == 4 and calls["check_model"] == 3


def test_the_fingerprint_follows_library_versions_and_the_generators_files(
        monkeypatch: pytest.MonkeyPatch) -> None:
    cache.fingerprint.cache_clear()
    before = cache.fingerprint()
    monkeypatch.setattr(cache, "library_version", lambda name: "0.0.0-other")
    cache.fingerprint.cache_clear()
    assert cache.fingerprint() != before
    monkeypatch.undo()
    cache.fingerprint.cache_clear()
    assert cache.fingerprint() == before
    files = cache.package_files(cache.resources.files("generator"), "generator")
    names = [name for name, _ in files]
    for expected in ("generator/pipeline.py", "generator/catalog/engines.yaml",
                     "generator/schemas/modeldeployment.schema.json"):
        assert expected in names
    assert any(name.startswith("generator/schemas/crds/") for name in names)


def test_deleting_the_cache_is_safe(fleet: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    first = _cached(fleet, folder)
    shutil.rmtree(folder)
    _same(_cached(fleet, folder), first)
    shutil.rmtree(folder / "runs")
    _same(_cached(fleet, folder), first)


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage"])
def test_a_corrupted_entry_is_ignored_and_rebuilt(
        fleet: Path, tmp_path: Path, damage: str) -> None:
    folder = tmp_path / "cache"
    first = _cached(fleet, folder)
    entries = [p for p in folder.rglob("*") if p.is_file()]
    assert len(entries) >= 5  # a run, four specs, the platform-wide texts
    for entry in entries:
        blob = entry.read_bytes()
        entry.write_bytes({"truncate": blob[: len(blob) // 2],
                           "flip": blob[:-3] + bytes([blob[-3] ^ 1]) + blob[-2:],
                           "empty": b"", "garbage": b"\x00\xff not a cache entry"}[damage])
    _same(_cached(fleet, folder), first)
    _same(_cached(fleet, folder), first)  # rebuilt: a hit again
    assert all(p.read_bytes().startswith(cache.MAGIC) for p in folder.rglob("*") if p.is_file())


def test_entries_not_used_by_the_last_run_are_pruned(fleet: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    _cached(fleet, folder)
    for version in range(3):
        (fleet / "a.yaml").write_text(MODEL.replace("name: m", "name: a") + "#" * version)
        _cached(fleet, folder)
    assert len(list((folder / "runs").iterdir())) == 1
    assert len(list((folder / "specs").iterdir())) == 4


def _cached_equals_uncached(specs: Path, tmp_path: Path) -> None:
    """Cold, warm and one-spec-changed cached runs all give the uncached outcome."""
    work = tmp_path / "specs"
    shutil.copytree(specs, work)
    folder = tmp_path / "cache"
    for allow_empty in (set(), None):
        expected = compile_specs([work], OUT, catalog.load(), allow_empty=allow_empty)
        for _ in range(2):
            _same(_cached(work, folder, allow_empty), expected)
    first = sorted(p for p in work.rglob("*.yaml"))[-1]
    first.write_text(first.read_text() + "# a comment: every key of this file changes\n")
    _same(_cached(work, folder), _uncached(work))


@pytest.mark.parametrize("case", golden_cases())
def test_cached_equals_uncached_for_every_golden_case(case: str, tmp_path: Path) -> None:
    _cached_equals_uncached(CASES / case / "specs", tmp_path)


def test_cached_equals_uncached_for_the_repositorys_specs(tmp_path: Path) -> None:
    _cached_equals_uncached(ROOT / "specs", tmp_path)


@pytest.mark.parametrize("broken", [
    "  scaling: {minReplicas: 3, maxReplicas: 2}\n",  # a check error
    "  bogus: 1\n",  # a schema error
    "  : [\n",  # a file that does not parse
])
def test_cached_equals_uncached_with_errors(fleet: Path, tmp_path: Path, broken: str) -> None:
    (fleet / "b.yaml").write_text((fleet / "b.yaml").read_text() + broken)
    (fleet / "c.yaml").write_text((fleet / "c.yaml").read_text().replace("name: c", "name: a"))
    folder = tmp_path / "cache"
    expected = _uncached(fleet)
    assert expected.failed
    _same(_cached(fleet, folder), expected)
    _same(_cached(fleet, folder), expected)
    (fleet / "c.yaml").write_text((fleet / "c.yaml").read_text().replace("name: a", "name: c"))
    _same(_cached(fleet, folder), _uncached(fleet))


# ------------------------------------------------------------------ through the CLI

def _render(specs: Path, out: Path, *extra: str) -> Any:
    return CliRunner().invoke(main, ["render", "--specs", str(specs), "--out", str(out), *extra])


def test_the_cli_keeps_the_cache_beside_the_output(fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / OUT
    assert _render(fleet, out).exit_code == 0
    assert (tmp_path / f".{OUT}.infergen-cache" / "runs").is_dir()


def test_check_catches_a_hand_edited_file_after_a_cache_hit(fleet: Path,
                                                            tmp_path: Path) -> None:
    out = tmp_path / OUT
    assert _render(fleet, out).exit_code == 0
    assert _render(fleet, out, "--check").exit_code == 0  # a hit
    edited = sorted(out.rglob("deployment.yaml"))[0]
    edited.write_text(edited.read_text().replace("replicas", "replicaz"))
    result = _render(fleet, out, "--check")
    assert result.exit_code == 1
    assert f"{edited.relative_to(tmp_path).as_posix()}: differs" in result.output


def test_a_stale_cache_never_keeps_render_from_writing(fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / OUT
    assert _render(fleet, out).exit_code == 0
    clean = read_tree(out)
    edited = sorted(out.rglob("service.yaml"))[0]
    size = edited.stat()
    edited.write_text(edited.read_text().replace("port", "pork"))  # same size
    assert edited.stat().st_size == size.st_size
    assert _render(fleet, out).exit_code == 0  # a whole-run hit
    assert read_tree(out) == clean
    (out / sorted(clean)[0]).unlink()
    assert _render(fleet, out).exit_code == 0
    assert read_tree(out) == clean
    # a spec change after the hit: the new tree, as an uncached render writes it
    (fleet / "a.yaml").write_text((fleet / "a.yaml").read_text().replace("name: a", "name: z"))
    assert _render(fleet, out).exit_code == 0
    expected = _uncached(fleet).tree
    assert expected is not None
    assert read_tree(out) == expected


def test_cache_off(fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFERGEN_CACHE", "off")
    out = tmp_path / OUT
    assert _render(fleet, out).exit_code == 0
    assert not (tmp_path / f".{OUT}.infergen-cache").exists()


# ------------------------------------------------------------------ packs and kept texts

def test_a_unit_in_a_pack_whose_entry_is_damaged_builds_its_texts_again(
        fleet: Path, tmp_path: Path) -> None:
    """The packs give a unit without its texts; when its entry cannot give them, they are
    computed again from the spec: the tree is still exactly the uncached one."""
    folder = tmp_path / "cache"
    first = _cached(fleet, folder)
    for entry in (folder / "specs").iterdir():
        entry.write_bytes(entry.read_bytes()[:-5])
    again = _cached(fleet, folder)
    assert again.tree is not None
    assert dict(again.tree) == dict(first.tree or {})  # reads every text
    _same(again, _uncached(fleet))


def test_a_damaged_kept_platform_text_is_written_again(fleet: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    first = _cached(fleet, folder)
    kept = [p for p in (folder / "texts").iterdir() if p.name != "index"]
    assert kept
    for path in kept:
        path.write_bytes(b"garbage")
    again = _cached(fleet, folder)
    assert dict(again.tree or {}) == dict(first.tree or {})


def test_one_spec_changed_rewrites_at_most_two_packs(
        fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pack is written again only where a key came or went: the changed spec's old key
    and its new one."""
    folder = tmp_path / "cache"
    _cached(fleet, folder)
    packs = folder / "packs"
    before = {p.name: p.stat().st_mtime_ns for p in packs.iterdir()}
    assert sum(1 for _ in packs.iterdir()) >= 1
    (fleet / "b.yaml").write_text((fleet / "b.yaml").read_text() + "# edited\n")
    _cached(fleet, folder)
    after = {p.name: p.stat().st_mtime_ns for p in packs.iterdir()}
    rewritten = {name for name in after if before.get(name) != after[name]} | (
        before.keys() - after.keys())
    assert 1 <= len(rewritten) <= 2
    # and the next run finds every unit in a pack, none read from its entry
    entries: list[Path] = []
    real = cache.read_entry
    monkeypatch.setattr(cache, "read_entry", lambda path: entries.append(path) or real(path))
    assert _cached(fleet, folder).tree is not None
    assert [p for p in entries if p.parent.name == "specs"] == []


def test_a_dashboard_is_built_only_when_its_rows_change(
        fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.objects import dashboards
    folder = tmp_path / "cache"
    first = _cached(fleet, folder)
    assert any(path.startswith("dashboards/") for path in first.tree or {})
    built: list[str] = []
    real = dashboards.dashboard_of
    monkeypatch.setattr(dashboards, "dashboard_of",
                        lambda env, *a: built.append(env.name) or real(env, *a))
    text = (fleet / "b.yaml").read_text()
    (fleet / "b.yaml").write_text(text + "# a comment: the same charts\n")
    same_rows = _cached(fleet, folder)
    assert built == []  # the same rows: the kept text, verified when it was kept
    _same(same_rows, _uncached(fleet))
    built.clear()
    (fleet / "b.yaml").write_text(text.replace("name: b", "name: bb"))
    changed = _cached(fleet, folder)
    assert built  # a row changed: built (and verified) again
    assert dict(changed.tree or {}) == dict(_uncached(fleet).tree or {})


def test_a_placement_record_is_parsed_once_per_content(tmp_path: Path) -> None:
    """The store remembers a parse by the text's digest (placement records are 10,000 lines
    at fleet scale); another text, or another parser, is parsed again."""
    from generator.spec.yamlio import load_plain
    folder = tmp_path / "cache"
    calls: list[str] = []

    def parse(text: str) -> Any:
        calls.append(text)
        return load_plain(text)

    first = cache.DiskCache(folder)
    first.finished(pipeline.Run((tmp_path,), OUT).options, [], [])
    assert first.parsed(parse, "models: {a/b: '.'}\n") == {"models": {"a/b": "."}}
    first.remember([], [], None, False)
    first.flush()
    second = cache.DiskCache(folder)
    second.finished(pipeline.Run((tmp_path,), OUT).options, [], [])
    assert second.parsed(parse, "models: {a/b: '.'}\n") == {"models": {"a/b": "."}}
    assert len(calls) == 1
    assert second.parsed(parse, "models: {}\n") == {"models": {}}
    second.remember([], [], None, False)
    second.flush()
    assert len(list((folder / "parsed").iterdir())) == 2
    assert len(calls) == 2
    third = cache.DiskCache(folder)
    third.finished(pipeline.Run((tmp_path,), OUT).options, [], [])
    assert third.parsed(load_plain, "models: {}\n") == {"models": {}}  # another parser
    third.remember([], [], None, False)
    third.flush()
    assert len(list((folder / "parsed").iterdir())) == 1  # the unused ones pruned


def test_a_pack_no_key_needs_and_a_killed_run_s_temporary_file_are_pruned(
        fleet: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    _cached(fleet, folder)
    packs = folder / "packs"
    stale = packs / ".tmp-killed"
    stale.write_bytes(b"half a pack")
    old = time.time() - 2 * cache.STALE_TEMP_SECONDS
    os.utime(stale, (old, old))
    (packs / "zz").write_bytes(b"a pack of another generator")
    (fleet / "b.yaml").write_text((fleet / "b.yaml").read_text() + "# edited\n")
    _same(_cached(fleet, folder), _uncached(fleet))
    names = {p.name for p in packs.iterdir()}
    assert ".tmp-killed" not in names and "zz" not in names and names
