"""Each fallback of the cache (generator/incremental/) taken on purpose: an entry that is
not what this code wrote, a pack that is gone, a value marshal cannot keep, a file that
could not be read, a write that fails. Each only costs time: the answer is what computing
gives."""

from __future__ import annotations

import datetime
import marshal
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator import catalog, pipeline
from generator.diagnostics import Diagnostic
from generator.incremental import cache, codec
from generator.incremental.units import Files, Unit
from generator.pipeline import Outcome, Run, compile_specs
from tests.errorcases import MODEL, PLATFORM


def _entry(path: Path, value: bytes, texts: bytes = b"") -> None:
    """An entry as the cache writes one (a header, a checksum, the value's size, the
    value, the texts), holding the marshalled `value` as given."""
    body = b"%d\n" % len(value) + value + texts
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cache.MAGIC + cache.digest(body).encode() + b"\n" + body)


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "platform.yaml").write_text(PLATFORM)
    for name in ("a", "b"):
        (specs / f"{name}.yaml").write_text(  # sized, so the only diagnostics are the test's
            MODEL.replace("name: m", f"name: {name}").replace(
                "source: hf://org/m\n", "source: hf://org/m\n    parameters: 1B\n"))
    return specs


def _cached(specs: Path, folder: Path) -> Outcome:
    store = cache.DiskCache(folder)
    outcome = pipeline.compile(Run((specs,), "rendered", "render", reuse=False), catalog.load(),
                               store)
    store.flush()
    return outcome


def _uncached(specs: Path) -> Outcome:
    return compile_specs([specs], "rendered", catalog.load(), allow_empty=set())


def _same(a: Outcome, b: Outcome) -> None:
    assert a.diagnostics == b.diagnostics and a.bug == b.bug
    assert dict(a.tree or {}) == dict(b.tree or {})


def test_a_library_that_is_not_installed_is_named_absent() -> None:
    assert cache.library_version("no-such-library-anywhere") == "absent"


def test_a_run_key_computes_the_files_digests_when_not_given(fleet: Path) -> None:
    files, problems = pipeline.read_files([fleet])
    given = [cache.digest(raw) if raw is not None else None for _, _, raw, _ in files]
    assert cache.run_key(files, problems, [fleet], "rendered", None) == \
        cache.run_key(files, problems, [fleet], "rendered", None, raw_digests=given)


@pytest.mark.parametrize("value", [b"\xff\xff\xff", marshal.dumps(5),
                                   marshal.dumps([None, [3], ["x"]])])
def test_an_entry_this_code_did_not_write_reads_as_none(tmp_path: Path, value: bytes) -> None:
    """Well checksummed, but not marshal data, or not an entry with texts, or texts whose
    sizes run past its end."""
    _entry(tmp_path / "entry", value)
    assert cache.read_entry(tmp_path / "entry") is None


def test_run_and_spec_entries_of_another_shape_are_misses(fleet: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    first = _cached(fleet, folder)
    for entry in (folder / "runs").iterdir():  # a run entry without its keys
        _entry(entry, marshal.dumps({"diagnostics": []}))
    shutil.rmtree(folder / "packs")  # the units come from their entries, which are wrong
    for entry in (folder / "specs").iterdir():
        _entry(entry, marshal.dumps([{"display": 1}, [], []]))
    _same(_cached(fleet, folder), first)
    _same(first, _uncached(fleet))


def test_units_come_from_their_entries_when_the_packs_are_gone(
        fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import per_spec
    folder = tmp_path / "cache"
    first = _cached(fleet, folder)
    shutil.rmtree(folder / "packs")
    checked: list[object] = []
    real = per_spec.check_model
    monkeypatch.setattr(per_spec, "check_model", lambda *a: checked.append(a) or real(*a))
    _same(_cached(fleet, folder), first)
    assert checked == []  # none checked again: each came from its entry
    assert sorted(p.name for p in (folder / "packs").iterdir())  # and the packs are back


def test_a_pack_of_another_shape_is_a_miss(fleet: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    first = _cached(fleet, folder)
    for pack in (folder / "packs").iterdir():
        keys = marshal.loads(marshal.dumps(list(cache.Packs(folder / "packs").known)))
        _entry(pack, marshal.dumps({key: (1, 2) for key in keys}))
    _same(_cached(fleet, folder), first)


def test_a_unit_of_another_file_with_the_same_bytes_is_not_taken(
        fleet: Path, tmp_path: Path) -> None:
    """An entry is keyed by path and bytes: a key that still gives another file's unit (as a
    collision would) is refused."""
    folder = tmp_path / "cache"
    _cached(fleet, folder)
    store = cache.DiskCache(folder)
    files, problems = pipeline.read_files([fleet])
    store.finished(Run((fleet,), "rendered", "render").options, files, problems)
    display, rel, raw, unreadable = files[0]
    assert store.unit(files[0]) is not None
    assert store.unit((display, rel, None, unreadable)) is None  # no bytes: nothing to key
    store.finished(Run((fleet,), "rendered", "render").options, files, problems)
    other = ("elsewhere.yaml", "elsewhere.yaml", raw, unreadable)
    assert store.unit(other) is None  # its own key: never stored


def test_an_unreadable_spec_file_is_remembered_without_a_unit(
        fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.spec import load
    folder = tmp_path / "cache"
    real = load.read_raw

    def unreadable(file: Path, root: Path) -> Any:
        display, rel, raw, problems = real(file, root)
        if file.name != "b.yaml":
            return display, rel, raw, problems
        return display, rel, None, [Diagnostic(display, 0, 0, "", "unreadable", "load")]

    monkeypatch.setattr(pipeline, "read_raw", unreadable)
    outcome = _cached(fleet, folder)
    assert outcome.tree is None and [d.message for d in outcome.diagnostics] == ["unreadable"]
    assert _cached(fleet, folder).diagnostics == outcome.diagnostics


def test_a_parse_that_is_not_plain_data_is_not_kept(tmp_path: Path) -> None:
    store = cache.DiskCache(tmp_path / "cache")
    when = datetime.date(2026, 12, 5)
    assert store.parsed(lambda text: {"when": when}, "a: b\n") == {"when": when}
    store.flush()
    assert not (tmp_path / "cache" / "parsed").exists()


def test_an_entry_that_cannot_be_written_leaves_nothing(tmp_path: Path) -> None:
    assert not cache.replace_atomically(tmp_path / "missing" / "entry", [b"x"], ".tmp-")

    def failing(error: BaseException) -> Iterator[bytes]:
        yield b"half"
        raise error

    target = tmp_path / "entry"
    assert not cache.replace_atomically(target, failing(OSError(28, "full")), ".tmp-")
    with pytest.raises(KeyboardInterrupt):
        cache.replace_atomically(target, failing(KeyboardInterrupt()), ".tmp-")
    assert list(tmp_path.iterdir()) == []  # no temporary file left, no entry


def test_a_young_temporary_file_may_be_another_run_s_and_is_kept(
        fleet: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    _cached(fleet, folder)
    young, old = folder / "specs" / ".tmp-young", folder / "specs" / ".tmp-old"
    young.write_bytes(b"")
    old.write_bytes(b"")
    long_ago = time.time() - 2 * cache.STALE_TEMP_SECONDS
    os.utime(old, (long_ago, long_ago))
    (fleet / "a.yaml").write_text((fleet / "a.yaml").read_text() + "# edited\n")
    _cached(fleet, folder)
    assert young.exists() and not old.exists()


def test_a_unit_and_its_files_compare_and_show_as_data() -> None:
    files = Files(("a.yaml",), ("Service",), (None,), ("d",), ["text"])
    assert files == Files(("a.yaml",), ("Service",), (None,), ("d",), ["text"])
    assert files != Files(("a.yaml",), ("Service",), (None,), ("d",), ["other"])
    assert repr(files) == "Files(('a.yaml',))"
    assert Unit("a.yaml", "a.yaml", []).digest() == ""  # no bytes: matches nothing


def test_a_summary_that_does_not_fit_its_digests_is_refused() -> None:
    unit = Unit("a.yaml", "a.yaml", [], "ModelDeployment", True, [], raw=b"x")
    data, digests = codec.summary(unit)
    with pytest.raises(ValueError, match="another shape"):
        codec.from_json(data, [], b"x", ["extra"])
    built = {"paths": ["x"], "kinds": [], "identities": [], "shared": [], "charts": None,
             "problems": []}  # one path, no kind
    data["model"] = {"platform": "p", "found": [], "name_at": ["a.yaml", 1, 1, "metadata.name"],
                     "plans": [], "problems": [], "built": [built]}
    with pytest.raises(ValueError, match="another shape"):
        codec.from_json(data, ["t"], b"x", ["d"])
