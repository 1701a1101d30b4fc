"""The orchestrator's collaborators: a store writes nothing until it is flushed, the store
that holds nothing changes nothing, and the worker pool only maps."""

from __future__ import annotations

from pathlib import Path

from generator import catalog, pipeline
from generator.incremental import cache, parallel
from generator.incremental.store import NO_STORE
from generator.output.text import digests_of
from generator.pipeline import Run
from tests.conftest import CASES


def _double(value: int) -> int:
    return value * 2


def test_map_units_gives_each_result_in_order() -> None:
    assert parallel.map_units(_double, list(range(50)), 2) == [2 * n for n in range(50)]


def test_a_disk_cache_writes_only_when_flushed(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    store = cache.DiskCache(folder)
    run = Run((CASES / "keda" / "specs",), "rendered", "render")
    outcome = pipeline.compile(run, catalog.load(), store)
    assert outcome.tree is not None and outcome.digests is not None
    assert not folder.exists()  # the tree first: on a full disk it matters, the cache not
    store.flush()
    made = {p.name for p in folder.iterdir()}
    assert {"packs", "runs", "specs", "texts"} <= made <= {"packs", "runs", "specs", "texts",
                                                          "parsed"}  # the tree's records
    store.flush()  # nothing queued twice
    known = pipeline.compile(run, catalog.load(), cache.DiskCache(folder))
    assert known.tree is None and known.digests == outcome.digests and not known.failed


def test_no_store_gives_what_the_compile_gives() -> None:
    run = Run((CASES / "keda" / "specs",), "rendered", "render")
    outcome = pipeline.compile(run, catalog.load(), NO_STORE)
    assert outcome.tree is not None and outcome.digests == digests_of(outcome.tree)
    assert NO_STORE.unit(("a", "a", b"", [])) is None


def test_a_kept_text_is_named_as_the_tree_names_a_file() -> None:
    """The cache names a text it keeps by its digest, which the tree compares with the
    files on disk: the two digests must be the same function."""
    from generator.output.text import digest
    for data in (b"", b"kind: Service\n", "é".encode()):
        assert cache.digest(data) == digest(data)
