"""A content-addressed cache of compiles, beside the output folder
(`.<out>.infergen-cache/`): a Store (store.py) the orchestrator asks before it computes.
The only module that reads or writes that folder.

Every key is a hash of content: the generator's fingerprint (its own source, catalog and
schemas, and the versions of Python and of the libraries that shape the output), plus
    runs/<key>   every spec file's path, display name and bytes, and the run's options:
                 the outcome's diagnostics and the digest of each file of its tree; when
                 the output folder already holds exactly that tree (`in_place` says so),
                 the run is done without a text: the tree on disk is its store;
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
from collections.abc import Callable, Collection, Mapping, Sequence
from importlib import metadata, resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import generator
from generator.diagnostics import Diagnostic, as_rows, from_rows
from generator.incremental import codec, units
from generator.incremental.store import Known, Options
from generator.incremental.units import RawFile
from generator.output import shard_record
from generator.output.layout import Rendered
from generator.output.text import digest, digests_of, text_of

MAGIC = b"infergen-cache 4\n"
LIBRARIES = ("PyYAML", "jsonschema", "jsonschema-specifications", "referencing",
             "kubernetes-validate", "jsonschema-rs")
TEXTS = "texts"  # the Texts of the last run that missed
STALE_TEMP_SECONDS = 3600  # a temporary file this old was left by a killed run


def enabled() -> bool:
    return os.environ.get("INFERGEN_CACHE", "").lower() not in ("off", "0", "no", "false")


def folder_for(out: Path) -> Path:
    return out.parent / f".{out.name}.infergen-cache"


def library_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


@functools.cache
def fingerprint() -> str:
    """Changes whenever the generator could render anything differently."""
    hasher = hashlib.sha256(sys.version.encode())
    for name in LIBRARIES:
        hasher.update(f"\0{name}={library_version(name)}".encode())
    import yaml  # the C loader and dumper, or the pure Python ones
    hasher.update(f"\0libyaml={yaml.__with_libyaml__}".encode())
    for name, item in sorted(package_files(resources.files(generator), "generator")):
        hasher.update(f"\0{name}\0".encode())
        hasher.update(item.read_bytes())
    return hasher.hexdigest()


def package_files(folder: Traversable, name: str) -> list[tuple[str, Traversable]]:
    """The package's sources, catalog and schemas (generator.schemas is schemas/)."""
    found: list[tuple[str, Traversable]] = []
    for item in folder.iterdir():
        if item.is_dir() and item.name != "__pycache__":
            found += package_files(item, f"{name}/{item.name}")
        elif item.name.endswith((".py", ".yaml", ".json")):
            found.append((f"{name}/{item.name}", item))
    if name == "generator":
        found += package_files(resources.files("generator.schemas"), "generator/schemas")
    return found


def _hash(*parts: object) -> str:
    return digest(json.dumps(parts, separators=(",", ":")).encode())


def _raw_digest(raw: bytes | None) -> str | None:
    return None if raw is None else digest(raw)


def run_key(files: list[RawFile], problems: list[Diagnostic], paths: list[Path], out: str,
            allow_empty: Collection[str] | None, moves: str = "") -> str:
    """Placement (output/shard_record.py) is read from the tree: what it reads is part of
    the key."""
    return _hash("run", fingerprint(), out, None if allow_empty is None else sorted(allow_empty),
                 moves, shard_record.fingerprint(Path(out)),
                 [os.path.relpath(p) for p in paths], as_rows(problems),
                 [[display, rel, _raw_digest(raw), as_rows(unreadable)]
                  for display, rel, raw, unreadable in files])


def spec_key(display: str, rel: str, raw: bytes, out: str) -> str:
    return _hash("spec", fingerprint(), out, display, rel, _raw_digest(raw))


# ------------------------------------------------------------------ entries on disk

def _read(path: Path, lazy: bool = False) -> tuple[Any, list[Any], list[str]] | None:
    """The entry's data, texts and the texts' digests; None when missing, unreadable,
    truncated or corrupted. `lazy`: each text is a function that decodes it, called when
    the text is first needed (most never are: see output/text.py Tree)."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    first = blob.find(b"\n") + 1
    second = blob.find(b"\n", first) + 1
    third = blob.find(b"\n", second) + 1  # offsets, not partitions: no copies of the texts
    if not 0 < first < second < third or blob[:first] != MAGIC or \
            digest(memoryview(blob)[second:]).encode() != blob[first:second - 1]:
        return None
    try:
        data, sizes, digests = json.loads(blob[second:third - 1])
        texts: list[Any] = []
        joined = blob[third:] if lazy else blob  # kept for later, without the JSON
        start = 0 if lazy else third
        for size in sizes:
            texts.append(functools.partial(decode_text, joined, start, start + size) if lazy
                         else blob[start:start + size].decode("utf-8"))
            start += size
    except (ValueError, TypeError):
        return None
    return (data, texts, digests) if start == len(joined) and len(digests) == len(texts) \
        else None


def decode_text(blob: bytes, start: int, end: int) -> str:
    """One text of a cache entry, decoded only when a file is written (public: a test counts
    the calls)."""
    return blob[start:end].decode("utf-8")


def _write(path: Path, data: Any, texts: Sequence[str] = (),
           digests: Sequence[str] | None = None) -> None:
    """An entry: MAGIC, the body's checksum, then the body: JSON [data, the texts' sizes,
    their digests] on one line, then the texts (kept out of the JSON: they are most of it).
    `digests`: the texts' (output/text.py digest), where the caller knows them."""
    encoded = [text.encode("utf-8") for text in texts]
    if digests is None:
        digests = [digest(e) for e in encoded]
    body = (json.dumps([data, [len(e) for e in encoded], list(digests)],
                       separators=(",", ":")).encode()
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


# ------------------------------------------------------------------ the store

class Texts:
    """The text of each platform-wide object (namespaces, kustomizations, RootSyncs, shared
    objects, dashboards), by the hash of what it is written from: most stay the same when
    one spec changes, and dashboards are slow to write."""

    def __init__(self, stored: tuple[Any, list[str], list[str]] | None) -> None:
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


class DiskCache:
    """The store in `folder` (a Store: see store.py). `in_place(digests)` says whether the
    output folder holds exactly that tree already (output.write.settled); without it, a
    known run still gives its texts, never "nothing to do"."""

    def __init__(self, folder: Path,
                 in_place: Callable[[dict[str, str]], bool] | None = None) -> None:
        self.folder, self.in_place = folder, in_place
        self._out = ""
        self._run: str | None = None
        self._keys: list[str | None] = []  # each file's spec key, in order
        self._key_of: dict[int, tuple[RawFile, str | None]] = {}  # the same, by file
        self._before: dict[int, tuple[object, object, object]] = {}
        self._texts: Texts | None = None
        self._pending: list[Callable[[], None]] = []

    def finished(self, options: Options, files: list[RawFile],
                 problems: list[Diagnostic]) -> Known | None:
        self._out = options.out
        self._run = run_key(files, problems, list(options.paths), options.out,
                            options.allow_empty, options.moves)
        self._keys = [spec_key(d, rel, raw, options.out) if raw is not None else None
                      for d, rel, raw, _ in files]
        self._key_of = {id(f): (f, key) for f, key in zip(files, self._keys, strict=True)}
        stored = _read(self.folder / "runs" / self._run)
        if stored is None:
            return None
        with contextlib.suppress(KeyError, TypeError, ValueError):
            data = stored[0]
            diagnostics = from_rows(data["diagnostics"])
            if not data["tree"]:
                return Known(diagnostics, bool(data["bug"]), None, None)
            digests = dict(zip(data["paths"], data["digests"], strict=True))
            if self.in_place is not None and self.in_place(digests):
                return Known(diagnostics, bool(data["bug"]), digests, len(digests),
                             data.get("roots"))
        return None

    def unit(self, file: RawFile) -> units.Unit | None:
        display, rel, raw, _ = file
        known = self._key_of.get(id(file))
        key = known[1] if known is not None and known[0] is file else \
            spec_key(display, rel, raw, self._out) if raw is not None else None
        found = self._stored_unit(key, display, rel, raw)
        if found is not None:
            self._before[id(found)] = found.state()
        return found

    def _stored_unit(self, key: str | None, display: str, rel: str,
                     raw: bytes | None) -> units.Unit | None:
        if key is None or raw is None:
            return None
        stored = _read(self.folder / "specs" / key, lazy=True)
        if stored is None:
            return None
        try:
            unit = codec.from_json(stored[0], stored[1], raw, stored[2])
        except (KeyError, TypeError, ValueError, IndexError, StopIteration):  # another shape
            return None
        return unit if (unit.display, unit.rel) == (display, rel) else None

    def serialize(self, item: Rendered) -> str:
        if self._texts is None:
            self._texts = Texts(_read(self.folder / TEXTS))
        return self._texts.serialize(item)

    def remember(self, found: list[units.Unit], diagnostics: list[Diagnostic],
                 tree: Mapping[str, str] | None, bug: bool,
                 roots: dict[str, int] | None = None) -> dict[str, str] | None:
        assert self._run is not None, "remember follows finished"
        digests = digests_of(tree or {})
        folder, run = self.folder, self._run
        for unit, key in zip(found, self._keys, strict=False):  # the files' units come first
            was = self._before.get(id(unit), (None, None, None))  # a new unit: nothing
            if key is not None and any(a is not b for a, b in zip(was, unit.state(),
                                                                   strict=True)):
                self._save(folder / "specs" / key, *codec.to_json(unit))
        self._save(folder / "runs" / run, {"diagnostics": as_rows(diagnostics),
                                           "tree": tree is not None,
                                           "paths": list(digests),
                                           "digests": list(digests.values()),
                                           "bug": bug, "roots": roots})
        memo = self._texts
        if memo is not None and memo.used != memo.known:
            self._save(folder / TEXTS, list(memo.used), list(memo.used.values()))
        live = {k for k in self._keys if k is not None}
        self._pending.append(lambda: _prune(folder / "specs", live))
        self._pending.append(lambda: _prune(folder / "runs", {run}))
        return digests

    def _save(self, path: Path, data: Any, texts: Sequence[str] = ()) -> None:
        self._pending.append(lambda: _write(path, data, texts))

    def flush(self) -> None:
        """Write what `remember` queued (called once the tree is safe)."""
        pending, self._pending = self._pending, []
        for action in pending:
            action()
