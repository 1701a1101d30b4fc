"""What the output folder holds: every file, generated (by its header, with its digest) or
foreign, and every folder, each with its stamp. write.py compares it with the desired tree.

Without a snapshot, the scan walks the whole tree and reads every file. With one (written by
write.py after each write, `generator/output/snapshot.py`), it reads no file whose stamp
(inode, size, mtime) is the snapshot's, as git and rsync do; a file whose mtime is not older
than the snapshot itself is read anyway ("racily clean", in git's words). Not ctime: linking
the spare moves it on every file. And it lists only the folders whose stamp (inode, mtime)
moved: a file or folder added, removed or renamed moves its parent's mtime, so new files are
found where they are, and an edit in place of a known file shows in its own stamp (one lstat
per file is the floor: `render` must still see and repair such an edit).
"""

from __future__ import annotations

import contextlib
import itertools
import marshal
import operator
import os
import signal
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.output.snapshot import FolderStamp, Snapshot, Stamp, decode, merge
from generator.output.text import HEADER_MARK, digest


@dataclass
class Existing:
    generated: dict[str, str] = field(default_factory=dict)  # path -> digest of its bytes
    foreign: list[str] = field(default_factory=list)
    inodes: dict[str, int] = field(default_factory=dict)  # path -> inode (full walk only)
    # generated path -> its stamp; after a scan with a snapshot, only the files it read:
    # all_stamps() adds those the snapshot vouched for (most callers need a few, or none)
    stamps: dict[str, Stamp] = field(default_factory=dict)
    read: int = 0  # generated files the snapshot did not vouch for
    foreign_stamps: dict[str, Stamp] = field(default_factory=dict)
    folders: dict[str, FolderStamp] = field(default_factory=dict)  # "" is `out` itself
    # paths where the tree may differ from what the trusted snapshot describes (files
    # changed, gone or new, new folders); None when no snapshot was trusted
    moved: set[str] | None = None
    renew: bool = True  # the snapshot does not describe this tree exactly
    snapshot: Snapshot | None = None  # the trusted one
    # its files and stamps (a later entry of a file wins), but for these paths
    vouched: tuple[list[str], list[Stamp], set[str]] | None = None

    def all_stamps(self) -> dict[str, Stamp]:
        if self.vouched is not None:
            files, stamps, but = self.vouched
            known = dict(zip(files, stamps, strict=True))
            for rel in but:
                known.pop(rel, None)
            self.stamps = {**known, **self.stamps}
            self.vouched = None
        return self.stamps

    def inode(self, rel: str) -> int | None:
        if self.inodes:
            return self.inodes.get(rel)
        stamp = self.all_stamps().get(rel) or self.foreign_stamps.get(rel)
        return stamp[0] if stamp is not None else None


_UNKNOWN: Stamp = (-1, -1, -1)  # a file that could not be stamped: read next time


# a file's stamp (inode, size, mtime_ns) from its lstat, in C: it runs for every file
file_stamp: Callable[[os.stat_result], Stamp] = operator.attrgetter(
    "st_ino", "st_size", "st_mtime_ns")


def _examine(existing: Existing, rel: str, path: str, st: os.stat_result | None) -> None:
    """A file no snapshot vouches for: generated (read, by its header) or foreign. Stamped
    before it is read, so an edit while reading shows as a change next time."""
    if st is not None and stat.S_ISREG(st.st_mode):
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError:
            raw = b""
        if raw.startswith(_HEADER):
            existing.generated[rel], existing.stamps[rel] = digest(raw), file_stamp(st)
            existing.read += 1
            return
    existing.foreign.append(rel)
    existing.foreign_stamps[rel] = file_stamp(st) if st is not None else _UNKNOWN


def _walk(existing: Existing, folder: str, prefix: str) -> None:
    """Every file and folder under `folder` (whose relative path, with its slash, is
    `prefix`), examined: the scan without a snapshot, and of folders it does not know."""
    stack = [(prefix, folder)]
    while stack:
        prefix, path = stack.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                rel = prefix + entry.name
                try:
                    st: os.stat_result | None = entry.stat(follow_symlinks=False)
                except OSError:
                    st = None
                if entry.is_dir(follow_symlinks=False):
                    existing.folders[rel] = ((st.st_ino, st.st_mtime_ns) if st is not None
                                             else (-1, -1))
                    stack.append((rel + "/", entry.path))
                    continue
                if existing.moved is None:
                    existing.inodes[rel] = entry.inode()
                else:
                    existing.moved.add(rel)
                _examine(existing, rel, entry.path, st)


_HEADER = HEADER_MARK.encode()


class Prescan:
    """The lstats of a scan with a snapshot (one per file: 213,611 at 10,000 specs), made
    by a child process while the caller compiles, on the machine's other core. The caller
    holds the tree's lock from before it starts one until the scan that takes it: what the
    lstats saw is then still the tree. A child that fails only means the scan lstats
    again; without fork (or a snapshot) there is no child."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.known = _load_snapshot(out) if out.is_dir() else None
        self._child: tuple[int, int] | None = None  # pid, the pipe it answers on
        if self.known is None or not hasattr(os, "fork"):
            return
        reading, writing = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: lstat, answer, and leave without any cleanup of the parent's
            try:
                os.close(reading)
                answer = marshal.dumps(_suspects(os.fspath(out), self.known))
                with os.fdopen(writing, "wb") as stream:
                    stream.write(answer)
            finally:
                os._exit(0)
        os.close(writing)
        self._child = pid, reading

    def take(self, out: Path) -> tuple[Snapshot, Moved] | None:
        """The snapshot and what its lstats found, once, for the scan of `out`."""
        child, self._child = self._child, None
        if child is None or self.known is None or out != self.out:
            if child is not None:
                self._reap(child)
            return None
        try:
            with os.fdopen(child[1], "rb") as stream:
                answer = stream.read()
            folders, files, foreign = marshal.loads(answer)
            return self.known, (list(folders), list(files), list(foreign))
        except (OSError, EOFError, ValueError, TypeError):  # the child failed: lstat again
            return None
        finally:
            os.waitpid(child[0], 0)

    def close(self) -> None:
        """Stop and reap a child nobody took (the compile failed, or wrote nothing)."""
        child, self._child = self._child, None
        if child is not None:
            self._reap(child)

    @staticmethod
    def _reap(child: tuple[int, int]) -> None:
        with contextlib.suppress(OSError):
            os.close(child[1])
        with contextlib.suppress(OSError):
            os.kill(child[0], signal.SIGKILL)  # its answer is not wanted: no need to wait
        with contextlib.suppress(OSError):
            os.waitpid(child[0], 0)


def scan(out: Path, *, trust_snapshot: bool = False, prescan: Prescan | None = None) -> Existing:
    """Every file in `out`: generated ones (by their header) with their digest, the others
    as foreign. With `trust_snapshot`, a file the snapshot vouches for is not read, and
    only the folders whose stamp moved are listed (by a `prescan`'s lstats, if given)."""
    existing = Existing()
    taken = prescan.take(out) if prescan is not None and trust_snapshot else None
    try:
        root = os.stat(out)
    except OSError:
        return existing
    if not stat.S_ISDIR(root.st_mode):
        return existing
    known, moved = taken if taken is not None else (
        _load_snapshot(out) if trust_snapshot else None, None)
    if known is not None:
        try:
            existing = _scan_known(out, known, moved)
        except (TypeError, ValueError, IndexError):  # a snapshot that is not ours after all
            existing, known = Existing(), None
    if known is None:
        existing.folders[""] = (root.st_ino, root.st_mtime_ns)
        _walk(existing, os.fspath(out), "")
    existing.foreign.sort()
    return existing


def lstat_all(paths: list[str]) -> list[os.stat_result | None]:
    try:
        return list(map(os.lstat, paths))  # the common case: every path is there
    except OSError:
        pass
    found: list[os.stat_result | None] = []
    for path in paths:
        try:
            found.append(os.lstat(path))
        except OSError:
            found.append(None)
    return found


_FOLDER_STAMP = operator.attrgetter("st_ino", "st_mtime_ns")


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _moved_since(prefix: str, paths: list[str], was: list[Any],
                 stamp: Callable[[os.stat_result], Any], fence: int,
                 split: int | None = None, later_fence: int = 0) -> set[int]:
    """Indices of `paths` (under `prefix`) whose stamp moved from `was` (or is gone), or
    whose mtime (a stamp's last item) is as new as the snapshot's `fence` (racily clean;
    from `split` on, a delta's entries, as new as `later_fence`). This runs for every
    file of the tree: the lstats stream through map and comparisons in C, and nothing is
    kept of a path that did not move."""
    try:
        flags = list(map(operator.ne, map(stamp, map(os.lstat, map(prefix.__add__, paths))),
                         was))
    except OSError:  # one is gone: again, one at a time
        flags = [st is None or stamp(st) != old for st, old in
                 zip(map(_lstat, map(prefix.__add__, paths)), was, strict=True)]
    suspects = set(itertools.compress(range(len(flags)), flags))
    split = len(was) if split is None else split
    for start, stop, limit in ((0, split, fence), (split, len(was), later_fence)):
        part = was[start:stop]
        if part and max(map(operator.itemgetter(-1), part)) >= limit:
            suspects.update(start + i for i, old in enumerate(part) if old[-1] >= limit)
    return suspects


Moved = tuple[list[int], list[int], list[int]]  # indices of folders, files, foreign files


def _suspects(base: str, known: Snapshot) -> Moved:
    """The lstats of a scan with a snapshot (one per folder and file it knows: the bulk of
    the scan): the indices of the folders, files and foreign files whose stamp moved, is
    gone, or is as new as the snapshot (racily clean)."""
    prefix, fence = base + "/", known.delta_fence  # the fence of folders and foreign files
    folders = _moved_since("", [prefix + rel if rel else base for rel in known.folders],
                           known.folder_stamps, _FOLDER_STAMP, fence)
    files = _moved_since(prefix, known.files, known.stamps, file_stamp, known.fence,
                         known.split, known.delta_fence)
    foreign = _moved_since(prefix, known.foreign, known.foreign_stamps, file_stamp, fence)
    return sorted(folders), sorted(files), sorted(foreign)


def _scan_known(out: Path, known: Snapshot, moved_ones: Moved | None = None) -> Existing:
    """The scan with a snapshot: lstat every folder and file it knows (or take what a
    Prescan's lstats found), read the files whose stamp moved or is as new as the snapshot
    (racily clean), and list only the folders whose stamp moved (or is as new): that is
    where new files and folders can be."""
    existing = Existing(moved=set(), renew=False, snapshot=known)
    base = os.fspath(out)
    moved = existing.moved
    assert moved is not None
    prefix = base + "/"
    folder_suspects, file_suspects, foreign_suspects = moved_ones or _suspects(base, known)
    existing.folders = dict(zip(known.folders, known.folder_stamps, strict=True))
    listed: list[str] = []  # folders to list: their entries may have changed
    gone: list[str] = []  # folders that are no longer folders: nothing under them counts
    for i in folder_suspects:
        rel = known.folders[i]
        st = _lstat(prefix + rel if rel else base)
        if st is None or not stat.S_ISDIR(st.st_mode):
            gone.append(rel + "/")
            del existing.folders[rel]
        else:
            existing.folders[rel] = _FOLDER_STAMP(st)
            listed.append(rel)
    under = tuple(gone)
    for files, stamps, digests, found in (
            (known.files, known.stamps, known.digests, file_suspects),
            (known.foreign, known.foreign_stamps, None, foreign_suspects)):
        suspects = set(found)
        if gone:
            suspects.update(i for i, rel in enumerate(files) if rel.startswith(under))
        gone_as_said: set[str] = set()  # base files the delta removed, and gone
        if digests is not None and known.split < len(files):
            # a base entry the delta replaces says nothing (the delta's is checked)
            later, removed = set(files[known.split:]), set(known.removed)
            for i in [i for i in suspects if i < known.split]:
                rel = files[i]
                if rel in later:
                    suspects.discard(i)
                elif rel in removed and _lstat(prefix + rel) is None:
                    suspects.discard(i)
                    gone_as_said.add(rel)
        suspect = {files[i] for i in suspects}
        if digests is not None:
            existing.generated = dict(zip(files, digests, strict=True))  # the delta's last
            for rel in suspect | gone_as_said:
                existing.generated.pop(rel, None)
            existing.vouched = (files, stamps, suspect | gone_as_said)
        else:
            existing.foreign.extend(rel for rel in files if rel not in suspect)
            existing.foreign_stamps.update((rel, stamps[i]) for i, rel in enumerate(files)
                                           if rel not in suspect)
        for i in sorted(suspects):
            rel = files[i]
            moved.add(rel)
            st = _lstat(prefix + rel)
            if st is None or stat.S_ISDIR(st.st_mode) or (gone and rel.startswith(under)):
                continue  # gone (a new folder there is found where its parent is listed)
            _examine(existing, rel, prefix + rel, st)
    if listed:
        _list_folders(existing, base, listed, known)
    existing.renew = bool(moved or listed or gone)
    return existing


def _list_folders(existing: Existing, base: str, listed: list[str], known: Snapshot) -> None:
    """New entries of the folders in `listed`: files the snapshot does not know are
    examined, folders it does not know (or knew as a file) are walked whole."""
    files = set(known.files)
    files.update(known.foreign)
    moved = existing.moved
    assert moved is not None
    for rel in listed:
        prefix = rel + "/" if rel else ""
        try:
            entries = list(os.scandir(f"{base}/{rel}" if rel else base))
        except OSError:
            continue
        for entry in entries:
            child = prefix + entry.name
            folder = entry.is_dir(follow_symlinks=False)
            if (child in existing.folders) if folder else (child in files):
                continue  # stamped above, and still of the same kind
            try:
                st: os.stat_result | None = entry.stat(follow_symlinks=False)
            except OSError:
                st = None
            moved.add(child)
            if folder:
                existing.folders[child] = ((st.st_ino, st.st_mtime_ns) if st is not None
                                           else (-1, -1))
                _walk(existing, entry.path, child + "/")
            else:
                _examine(existing, child, entry.path, st)


def snapshot_of(out: Path) -> Path:
    return out.parent / f".{out.name}.infergen-snapshot"


def delta_of(out: Path) -> Path:
    return out.parent / f".{out.name}.infergen-snapshot-delta"


def _read_snapshot(path: Path) -> Snapshot | None:
    try:
        with open(path, "rb") as handle:
            fence = os.fstat(handle.fileno()).st_mtime_ns
            return decode(handle.read(), fence)
    except OSError:
        return None


def _load_snapshot(out: Path) -> Snapshot | None:
    """The snapshot, with its delta if it names this base; None when it is missing,
    damaged, or of another format or Python."""
    base = _read_snapshot(snapshot_of(out))
    if base is None or base.base is not None:
        return None
    delta = _read_snapshot(delta_of(out))
    merged = merge(base, delta) if delta is not None else None
    return merged or base
