"""A content-addressed cache of compiles, beside the output folder
(`.<out>.infergen-cache/`): a Store (store.py) the orchestrator asks before it computes.
The only module that reads or writes that folder.

Every key is a hash of content: the generator's fingerprint (its own source, catalog and
schemas, and the versions of Python and of the libraries that shape the output), plus
    runs/<key>   every spec file's path, display name and bytes, and the run's options:
                 the outcome's diagnostics and the digest of each file of its tree; when
                 the output folder already holds exactly that tree (the caller looks),
                 the run is done without a text: the tree on disk is its store;
    specs/<key>  one spec file's path, display name and bytes, and the output folder: its
                 `units.Unit` (diagnostics, plan summaries, objects as text), whose model
                 part also names the digest of the Platform file it was checked against;
    packs/<xx>   the same units without their texts, for every key starting with xx: a
                 run reads 256 packs, not one entry per spec, and a unit's texts only when
                 a file must be written (most never are);
    texts        the digest of each platform-wide object's text by what it is written from,
                 and those texts;
    parsed/<key> a text read back from the tree (a placement record), parsed: by the
                 digest of the text and of the parser.
An entry is a header line (the format, and the Python whose `marshal` wrote it), a checksum
line, then the body, written to a temporary file and renamed into place; one that is
unreadable, truncated, of another format or fails its checksum is ignored and rebuilt.
After a run that missed, entries it did not use are deleted, so the folder holds one run.
Deleting the folder is always safe; a cache that cannot be read or written only costs time.
INFERGEN_CACHE=off turns it off.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import marshal
import os
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Sequence
from functools import partial
from importlib import metadata, resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import generator
from generator.diagnostics import Diagnostic, as_rows, from_rows
from generator.incremental import codec, units
from generator.incremental.store import Known, Options
from generator.incremental.units import RawFile

# marshal (fast for plain data) changes with Python's minor version: it is in the header
MAGIC = (f"infergen-cache 6 python{sys.version_info[0]}.{sys.version_info[1]} "
         f"marshal{marshal.version}\n").encode()
LIBRARIES = ("PyYAML", "jsonschema", "jsonschema-specifications", "referencing",
             "kubernetes-validate", "jsonschema-rs")
TEXTS, INDEX = "texts", "index"  # the platform-wide texts of the last run that missed
SPECS, PACKS, RUNS, PARSED = "specs", "packs", "runs", "parsed"
STALE_TEMP_SECONDS = 3600  # a temporary file this old was left by a killed run
TEMP_PREFIX = ".tmp-"


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


def digest(data: bytes | memoryview) -> str:
    """SHA-256, as output/text.py names a file's text (a kept text's digest is a file's)."""
    return hashlib.sha256(data).hexdigest()


def _hash(*parts: object) -> str:
    return digest(json.dumps(parts, separators=(",", ":")).encode())


def _raw_digest(raw: bytes | None) -> str | None:
    return None if raw is None else digest(raw)


def run_key(files: list[RawFile], problems: list[Diagnostic], paths: list[Path], out: str,
            allow_empty: Collection[str] | None, moves: str = "", records: str = "",
            raw_digests: list[str | None] | None = None) -> str:
    """`records`: what the run reads from the tree (its placement records), as the
    orchestrator names it. `raw_digests`: each file's bytes' digest, where the caller has
    them."""
    if raw_digests is None:
        raw_digests = [_raw_digest(raw) for _, _, raw, _ in files]
    return _hash("run", fingerprint(), out, None if allow_empty is None else sorted(allow_empty),
                 moves, records,
                 [os.path.relpath(p) for p in paths], as_rows(problems),
                 [[display, rel, sha, as_rows(unreadable)]
                  for (display, rel, _, unreadable), sha in zip(files, raw_digests, strict=True)])


def spec_key(display: str, rel: str, raw: bytes, out: str, raw_digest: str | None = None) -> str:
    # joined with NUL, which no path holds: cheaper than JSON, and as unambiguous
    return digest("\0".join(("spec", fingerprint(), out, display, rel,
                              raw_digest or digest(raw))).encode())


# ------------------------------------------------------------------ entries on disk

def _read(path: Path) -> tuple[Any, bytes, int] | None:
    """An entry's value, its whole blob and where its texts start; None when missing,
    unreadable, truncated, of another format or corrupted."""
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
        size = int(blob[second:third - 1])
        value = marshal.loads(memoryview(blob)[third:third + size])
    except (ValueError, EOFError, TypeError):
        return None
    return value, blob, third + size


def read_entry(path: Path) -> tuple[Any, list[str], list[str]] | None:
    """An entry with texts: its data, texts and the texts' digests (public: a test counts
    which entries a run reads)."""
    stored = _read(path)
    if stored is None:
        return None
    value, blob, start = stored
    try:
        data, sizes, digests = value
        texts = []
        for size in sizes:
            texts.append(decode_text(blob, start, start + size))
            start += size
    except (ValueError, TypeError):
        return None
    return (data, texts, digests) if start == len(blob) and len(digests) == len(texts) \
        else None


def _lines(joined: str) -> list[str]:
    return joined.split("\n") if joined else []


def decode_text(blob: bytes, start: int, end: int) -> str:
    """One text of a cache entry, decoded only when a file is written (public: a test counts
    the calls)."""
    return blob[start:end].decode("utf-8")


def _write(path: Path, value: Any, texts: Sequence[bytes] = ()) -> None:
    """An entry: MAGIC, the body's checksum, then the body: the size of `value` marshalled,
    on a line, `value`, then the texts, if any (kept apart: they are most of it, and are
    decoded only when needed)."""
    encoded = marshal.dumps(value)
    body = b"%d\n" % len(encoded) + encoded + b"".join(texts)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(path, (MAGIC, digest(body).encode(), b"\n", body), TEMP_PREFIX)


def replace_atomically(path: Path, parts: Sequence[bytes], prefix: str) -> bool:
    """Write `parts` to a temporary file (named `prefix`...) beside `path`, then rename it
    over `path`: a reader finds the old entry or the new one, never half of one. False, and
    nothing left behind, on an OSError (an entry only saves time)."""
    try:
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=prefix)
    except OSError:
        return False
    try:
        with os.fdopen(handle, "wb") as stream:
            for part in parts:
                stream.write(part)
        os.replace(temp, path)
        return True
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(exc, OSError):
            return False
        raise


def _write_texts(path: Path, data: Any, texts: Sequence[str], digests: Sequence[str]) -> None:
    encoded = [text.encode("utf-8") for text in texts]
    _write(path, [data, [len(e) for e in encoded], list(digests)], encoded)


def _prune(folder: Path, keep: set[str]) -> None:
    """Delete entries not in `keep`, and temporary files a killed run left behind."""
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if entry.name in keep:
                continue
            with contextlib.suppress(OSError):
                if entry.name.startswith(TEMP_PREFIX) and \
                        time.time() - entry.stat().st_mtime < STALE_TEMP_SECONDS:
                    continue  # another run may be writing it
                os.unlink(entry.path)


# ------------------------------------------------------------------ the store

class Kept:
    """A platform-wide object's text the cache knows: its digest at once, the text read
    only when a file is written (output/text.py Stored), or written again when it cannot
    be read."""

    __slots__ = ("digest", "_path", "_make")

    def __init__(self, sha: str, path: Path, make: Callable[[], str]) -> None:
        self.digest, self._path, self._make = sha, path, make

    @property
    def text(self) -> str:
        stored = read_entry(self._path)
        if stored is not None and stored[2] == [self.digest]:
            return stored[1][0]
        return self._make()


class Texts:
    """The text of each platform-wide object (namespaces, kustomizations, RootSyncs, shared
    objects, dashboards), by the hash of what it is written from (its `name`, as the
    orchestrator gives it): most stay the same when one spec changes, and dashboards are
    slow to write. `texts/index` maps each hash to the digest of the text, kept in
    `texts/<digest>`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        stored = _read(folder / INDEX)
        self.known: dict[str, str] = stored[0] if stored is not None and isinstance(
            stored[0], dict) else {}
        self.used: dict[str, str] = {}  # key -> digest
        self.new: dict[str, str] = {}  # digest -> a text not kept yet

    @staticmethod
    def key(name: str) -> str:
        return digest(f"{fingerprint()}\0{name}".encode())

    def verified(self, name: str) -> bool:
        """Known: kept by a run that verified every object (one with a bug keeps none)."""
        return self.key(name) in self.known

    def serialize(self, name: str, make: Callable[[], str]) -> str | Kept:
        key = self.key(name)
        sha = self.known.get(key)
        if sha is not None:
            self.used[key] = sha
            return Kept(sha, self.folder / sha, make)
        text = make()
        self.used[key] = sha = digest(text.encode("utf-8"))
        self.new[sha] = text
        return text

    def save(self) -> None:
        for sha, text in self.new.items():
            _write_texts(self.folder / sha, None, [text], [sha])
        if self.used != self.known:
            _write(self.folder / INDEX, self.used)
        _prune(self.folder, {INDEX, *self.used.values()})


Summary = tuple[Any, list[str]]  # codec.summary: a unit's plain data, its texts' digests


class Packs:
    """The units' summaries, in 256 packs by the first two characters of their keys: read
    all at once (one file per pack, not per spec), rewritten only where a key came or
    went."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.known: dict[str, Summary] = {}
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                stored = _read(Path(entry.path)) if len(entry.name) == 2 else None
                if stored is not None and isinstance(stored[0], dict):
                    self.known.update(stored[0])
        self.added: dict[str, Summary] = {}

    def write(self, live: set[str]) -> None:
        """Keep exactly the `live` keys: packs that gained or lost one are written again."""
        gone = {key[:2] for key in self.known.keys() - live}
        touched = gone | {key[:2] for key in self.added}
        if not touched:
            return
        packs: dict[str, dict[str, Summary]] = {name: {} for name in touched}
        for key, summary in [*self.known.items(), *self.added.items()]:
            pack = packs.get(key[:2])
            if pack is not None and key in live:
                pack[key] = summary
        for name, pack in packs.items():
            if pack:
                _write(self.folder / name, pack)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(self.folder / name)


class DiskCache:
    """The store in `folder` (a Store: see store.py)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._out = ""
        self._run: str | None = None
        self._keys: list[str | None] = []  # each file's spec key, in order
        self._key_of: dict[int, tuple[RawFile, str | None]] = {}  # the same, by file
        self._before: dict[int, tuple[object, object, object]] = {}
        self._packs: Packs | None = None
        self._texts: Texts | None = None
        self._parsed: set[str] = set()  # keys of parsed/ this run used
        self._pending: list[Callable[[], None]] = []

    def finished(self, options: Options, files: list[RawFile],
                 problems: list[Diagnostic]) -> Known | None:
        self._out = options.out
        raw_digests = [_raw_digest(raw) for _, _, raw, _ in files]  # each file's, once
        self._run = run_key(files, problems, list(options.paths), options.out,
                            options.allow_empty, options.moves, options.records, raw_digests)
        self._keys = [spec_key(d, rel, raw, options.out, sha) if raw is not None else None
                      for (d, rel, raw, _), sha in zip(files, raw_digests, strict=True)]
        self._key_of = {id(f): (f, key) for f, key in zip(files, self._keys, strict=True)}
        stored = _read(self.folder / RUNS / self._run)
        if stored is None:
            return None
        with contextlib.suppress(KeyError, TypeError, ValueError):
            data = stored[0]
            diagnostics = from_rows(data["diagnostics"])
            if not data["tree"]:
                return Known(diagnostics, bool(data["bug"]), None)
            digests = dict(zip(_lines(data["paths"]), _lines(data["digests"]), strict=True))
            return Known(diagnostics, bool(data["bug"]), digests, data.get("roots"))
        return None

    def unit(self, file: RawFile) -> units.Unit | None:
        display, rel, raw, _ = file
        known = self._key_of.get(id(file))
        key = known[1] if known is not None and known[0] is file else \
            spec_key(display, rel, raw, self._out) if raw is not None else None
        if key is None or raw is None:
            return None
        if self._packs is None:
            self._packs = Packs(self.folder / PACKS)
        found = self._packed_unit(key, raw) or self._stored_unit(key, raw)
        if found is None or (found.display, found.rel) != (display, rel):
            return None
        self._before[id(found)] = found.state()
        return found

    def _packed_unit(self, key: str, raw: bytes) -> units.Unit | None:
        assert self._packs is not None
        summary = self._packs.known.get(key)
        if summary is None:
            return None
        folder = self.folder
        try:
            data, digests = summary

            def read() -> list[str] | None:  # the entry's texts, if they are the summary's
                stored = read_entry(folder / SPECS / key)
                return stored[1] if stored is not None and stored[2] == digests else None

            return codec.from_json(data, units.Texts(read), raw, digests)
        except (KeyError, TypeError, ValueError, IndexError):  # another shape
            return None

    def _stored_unit(self, key: str, raw: bytes) -> units.Unit | None:
        stored = read_entry(self.folder / SPECS / key)
        if stored is None:
            return None
        try:
            return codec.from_json(stored[0], stored[1], raw, stored[2])
        except (KeyError, TypeError, ValueError, IndexError):  # another shape
            return None

    def _memo(self) -> Texts:
        if self._texts is None:
            self._texts = Texts(self.folder / TEXTS)
        return self._texts

    def serialize(self, name: str, make: Callable[[], str]) -> str | Kept:
        return self._memo().serialize(name, make)

    def verified(self, name: str) -> bool:
        return self._memo().verified(name)

    def parsed(self, parse: Callable[[str], Any], text: str) -> Any:
        key = digest("\0".join((fingerprint(), parse.__module__, parse.__qualname__,
                                text)).encode())
        self._parsed.add(key)
        stored = _read(self.folder / PARSED / key)
        if stored is not None:
            return stored[0]
        value = parse(text)
        try:
            marshal.dumps(value)
        except ValueError:  # not plain data (a date, say): parsed again next time
            self._parsed.discard(key)
            return value
        self._pending.append(partial(_write, self.folder / PARSED / key, value))
        return value

    def remember(self, found: list[units.Unit], diagnostics: list[Diagnostic],
                 digests: dict[str, str] | None, bug: bool,
                 roots: dict[str, int] | None = None) -> None:
        assert self._run is not None, "remember follows finished"
        folder, run = self.folder, self._run
        packs = self._packs or Packs(folder / PACKS)
        for unit, key in zip(found, self._keys, strict=False):  # the files' units come first
            if key is None:
                continue
            was = self._before.get(id(unit), (None, None, None))  # a new unit: nothing
            changed = any(a is not b for a, b in zip(was, unit.state(), strict=True))
            if changed or key not in packs.known:
                summary = codec.summary(unit)
                packs.added[key] = summary
                if changed:
                    self._pending.append(partial(_write_texts, folder / SPECS / key, summary[0],
                                                 codec.texts_of(unit), summary[1]))
        # the tree's paths and digests each as one text: marshal then copies two strings
        # instead of tracking 427,000 shared ones (a fifth of a second at 10,000 specs)
        self._pending.append(partial(_write, folder / RUNS / run, {
            "diagnostics": as_rows(diagnostics), "tree": digests is not None,
            "paths": "\n".join(digests or ()), "digests": "\n".join((digests or {}).values()),
            "bug": bug,
            "roots": roots}))
        if self._texts is not None:
            self._pending.append(self._texts.save)
        live = {k for k in self._keys if k is not None}
        self._pending.append(lambda: packs.write(live))
        self._pending.append(lambda: _prune(folder / PACKS, {key[:2] for key in live}))
        self._pending.append(lambda: _prune(folder / SPECS, live))
        self._pending.append(lambda: _prune(folder / RUNS, {run}))
        parsed = set(self._parsed)
        self._pending.append(lambda: _prune(folder / PARSED, parsed))

    def flush(self) -> None:
        """Write what `remember` queued (called once the tree is safe)."""
        pending, self._pending = self._pending, []
        for action in pending:
            action()
