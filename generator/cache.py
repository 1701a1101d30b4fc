"""A content-addressed cache of compiles, beside the output folder
(`.<out>.infergen-cache/`). The only module of the pipeline that reads or writes it.

Every key is a hash of content: the generator's fingerprint (its own source, catalog and
schemas, and the versions of Python and of the libraries that shape the output), plus
    runs/<key>   every spec file's path, display name and bytes, and the run's options:
                 the outcome's diagnostics and the digest of each file of its tree; when
                 the output folder already holds exactly that tree (the caller's `settled`
                 says so), the run is done without a text: the tree on disk is its store;
    specs/<key>  one spec file's path, display name and bytes, and the output folder: its
                 `units.Unit` (diagnostics, plan summaries, objects as text), whose model
                 part also names the digest of the Platform file it was checked against.
An entry is a checksum line then JSON, written to a temporary file and renamed into place;
one that is unreadable, truncated or fails its checksum is ignored and rebuilt. After a run
that missed, entries it did not use are deleted, so the folder holds one run. Deleting the
folder is always safe; a cache that cannot be read or written only costs time.
INFERGEN_CACHE=off turns it off.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Sequence
from importlib import metadata, resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import generator
from generator import pipeline, shard_record, units
from generator.build import Rendered
from generator.catalog import Catalog
from generator.diagnostics import Diagnostic, as_rows, from_rows
from generator.pipeline import Outcome, RawFile
from generator.write import digest, digests_of, text_of

MAGIC = b"infergen-cache 3\n"
LIBRARIES = ("PyYAML", "jsonschema", "jsonschema-specifications", "referencing",
             "kubernetes-validate", "jsonschema-rs")
TEXTS = "texts"  # the Texts of the last run that missed
STALE_TEMP_SECONDS = 3600  # a temporary file this old was left by a killed run


def enabled() -> bool:
    return os.environ.get("INFERGEN_CACHE", "").lower() not in ("off", "0", "no", "false")


def folder_for(out: Path) -> Path:
    return out.parent / f".{out.name}.infergen-cache"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


@functools.cache
def fingerprint() -> str:
    """Changes whenever the generator could render anything differently."""
    hasher = hashlib.sha256(sys.version.encode())
    for name in LIBRARIES:
        hasher.update(f"\0{name}={_version(name)}".encode())
    import yaml  # the C loader and dumper, or the pure Python ones
    hasher.update(f"\0libyaml={yaml.__with_libyaml__}".encode())
    for name, item in sorted(_files(resources.files(generator), "generator")):
        hasher.update(f"\0{name}\0".encode())
        hasher.update(item.read_bytes())
    return hasher.hexdigest()


def _files(folder: Traversable, name: str) -> list[tuple[str, Traversable]]:
    """The package's sources, catalog and schemas (generator.schemas is schemas/)."""
    found: list[tuple[str, Traversable]] = []
    for item in folder.iterdir():
        if item.is_dir() and item.name != "__pycache__":
            found += _files(item, f"{name}/{item.name}")
        elif item.name.endswith((".py", ".yaml", ".json")):
            found.append((f"{name}/{item.name}", item))
    if name == "generator":
        found += _files(resources.files("generator.schemas"), "generator/schemas")
    return found


def _hash(*parts: object) -> str:
    return digest(json.dumps(parts, separators=(",", ":")).encode())


def _raw_digest(raw: bytes | None) -> str | None:
    return None if raw is None else digest(raw)


def run_key(files: list[RawFile], problems: list[Diagnostic], paths: list[Path], out: str,
            allow_empty: Collection[str] | None, moves: str = "") -> str:
    """Placement (shard_record.py) is read from the tree: what it reads is part of the key."""
    return _hash("run", fingerprint(), out, None if allow_empty is None else sorted(allow_empty),
                 moves, shard_record.fingerprint(Path(out)),
                 [os.path.relpath(p) for p in paths], as_rows(problems),
                 [[display, rel, _raw_digest(raw), as_rows(unreadable)]
                  for display, rel, raw, unreadable in files])


def spec_key(display: str, rel: str, raw: bytes, out: str) -> str:
    return _hash("spec", fingerprint(), out, display, rel, _raw_digest(raw))


# ------------------------------------------------------------------ entries on disk

def _read(path: Path) -> tuple[Any, list[str]] | None:
    """The entry's data and texts; None when missing, unreadable, truncated or corrupted."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    head, _, rest = blob.partition(b"\n")
    checksum, _, body = rest.partition(b"\n")
    if head + b"\n" != MAGIC or digest(body).encode() != checksum:
        return None
    header, _, joined = body.partition(b"\n")
    try:
        data, sizes = json.loads(header)
        texts, start = [], 0
        for size in sizes:
            texts.append(joined[start:start + size].decode("utf-8"))
            start += size
    except (ValueError, TypeError):
        return None
    return (data, texts) if start == len(joined) else None


def _write(path: Path, data: Any, texts: Sequence[str] = ()) -> None:
    """An entry: MAGIC, the body's checksum, then the body: JSON [data, the texts' sizes]
    on one line, then the texts (kept out of the JSON: they are most of it)."""
    encoded = [text.encode("utf-8") for text in texts]
    body = (json.dumps([data, [len(e) for e in encoded]], separators=(",", ":")).encode()
            + b"\n" + b"".join(encoded))
    blob = MAGIC + digest(body).encode() + b"\n" + body
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(blob)
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise


def _prune(folder: Path, keep: set[str]) -> None:
    """Delete entries not in `keep`, and temporary files a killed run left behind."""
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if entry.name in keep:
                continue
            with contextlib.suppress(OSError):
                if entry.name.startswith(".tmp-") and \
                        time.time() - entry.stat().st_mtime < STALE_TEMP_SECONDS:
                    continue  # another run may be writing it
                os.unlink(entry.path)


# ------------------------------------------------------------------ a cached compile

def _unit(file: RawFile, key: str | None, folder: Path) -> units.Unit:
    display, rel, raw, _ = file
    if key is not None and raw is not None:
        stored = _read(folder / "specs" / key)
        if stored is not None:
            try:
                unit = units.from_json(stored[0], stored[1], raw)
            except (KeyError, TypeError, ValueError, IndexError, StopIteration):  # another shape
                unit = None
            if unit is not None and (unit.display, unit.rel) == (display, rel):
                return unit
    return pipeline.unit_of(file)


class Texts:
    """The text of each platform-wide object (namespaces, kustomizations, RootSyncs, shared
    objects, dashboards), by the hash of what it is written from: most stay the same when
    one spec changes, and dashboards are slow to write."""

    def __init__(self, stored: tuple[Any, list[str]] | None) -> None:
        self.known: dict[str, str] = {}
        if stored is not None and isinstance(stored[0], list) and len(stored[0]) == len(
                stored[1]):
            self.known = dict(zip(map(str, stored[0]), stored[1], strict=True))
        self.used: dict[str, str] = {}

    def serialize(self, item: Rendered) -> str:
        key = digest(repr((item.sources, item.obj)).encode())
        text = self.known.get(key)
        if text is None:
            text = text_of(item)
        self.used[key] = text
        return text


def _state(unit: units.Unit) -> tuple[object, object, object]:
    """What the pipeline fills in: a unit whose state changed is written back."""
    return unit.schema, unit.model, unit.model.built if unit.model else None


def compile_cached(paths: list[Path], out: str, catalog: Catalog, folder: Path, *,
                   allow_empty: Collection[str] | None = None,
                   progress: Callable[[str], None] | None = None,
                   pending: list[Callable[[], None]] | None = None,
                   settled: Callable[[dict[str, str]], bool] | None = None,
                   moves: str = "") -> Outcome:
    """compile_specs(paths, out, catalog, allow_empty=..., progress=..., moves=...), computing only
    what the cache in `folder` does not hold for these exact inputs; the outcome's digests
    are filled in.

    With `pending`, the cache's own writes are queued there instead of done at once, so a
    caller can write the tree first: on a nearly full disk the tree matters, the cache not.
    With `settled` (write.settled for the output folder), a run whose inputs are unchanged
    and whose tree is in place already gives an outcome without a tree, `current` set."""
    def later(action: Callable[[], None]) -> None:
        if pending is None:
            action()
        else:
            pending.append(action)

    def save(path: Path, data: Any, texts: Sequence[str] = ()) -> None:
        later(lambda: _write(path, data, texts))

    step = progress or (lambda name: None)
    step("load")
    files, problems = pipeline.read_files(paths)
    run = run_key(files, problems, paths, out, allow_empty, moves)
    stored = _read(folder / "runs" / run)
    if stored is not None:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            data = stored[0]
            diagnostics = from_rows(data["diagnostics"])
            if not data["tree"]:
                return Outcome(diagnostics, None, bool(data["bug"]))
            digests = dict(zip(data["paths"], data["digests"], strict=True))
            if settled is not None and settled(digests):
                return Outcome(diagnostics, None, bool(data["bug"]), digests, len(digests),
                               data.get("roots"))
    keys = [spec_key(d, r, raw, out) if raw is not None else None for d, r, raw, _ in files]
    found = [_unit(file, key, folder) for file, key in zip(files, keys, strict=True)]
    before = [_state(u) for u in found]
    memo = Texts(_read(folder / TEXTS))
    outcome = pipeline.compile_units(found, problems, paths, out, catalog, allow_empty, step,
                                     memo.serialize, moves=moves)
    for unit, key, was in zip(found, keys, before, strict=True):
        if key is not None and any(a is not b for a, b in zip(was, _state(unit), strict=True)):
            save(folder / "specs" / key, *units.to_json(unit))
    outcome.digests = digests_of(outcome.tree or {})
    save(folder / "runs" / run, {"diagnostics": as_rows(outcome.diagnostics),
                                   "tree": outcome.tree is not None,
                                   "paths": list(outcome.digests),
                                   "digests": list(outcome.digests.values()),
                                   "bug": outcome.bug, "roots": outcome.roots})
    if memo.used != memo.known:
        save(folder / TEXTS, list(memo.used), list(memo.used.values()))
    live = {k for k in keys if k is not None}
    later(lambda: _prune(folder / "specs", live))
    later(lambda: _prune(folder / "runs", {run}))
    return outcome
