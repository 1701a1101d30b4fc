"""What the output folder holds: every file, generated (by its header, with its digest) or
foreign, and every folder, each with its stamp. write.py compares it with the desired tree.

Without a manifest (manifest.py) the scan walks the whole tree and reads every file:
`render --check` always does. With one, it lstats every path the manifest names, reads only
the files whose stamp moved, and lists only the folders whose stamp moved: that is where a
new file can be. A folder that is no longer a folder (removed, or replaced by a file or a
link) takes every path the manifest names under it along.
"""

from __future__ import annotations

import itertools
import operator
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from generator.output.manifest import UNKNOWN, Manifest, Stamp, stamp_of
from generator.output.text import HEADER_MARK, digest

# a write's temporary file, beside the file it replaces (write.py): a killed write may
# leave one, and the next write removes it
TEMP_PREFIX = ".infergen-tmp-"


@dataclass
class Existing:
    generated: dict[str, str] = field(default_factory=dict)  # path -> digest of its bytes
    foreign: list[str] = field(default_factory=list)  # sorted
    leftovers: list[str] = field(default_factory=list)  # temporary files of a killed write
    stamps: dict[str, Stamp] = field(default_factory=dict)  # every file's, generated or not
    folders: dict[str, Stamp] = field(default_factory=dict)  # "" is the output folder
    read: int = 0  # files read
    moved: bool = True  # the tree is not exactly what the manifest describes


_HEADER = HEADER_MARK.encode()


def _stamp(st: os.stat_result, fence: int) -> Stamp:
    """A stamp taken now: UNKNOWN where its change is as new as the `fence` (the file
    system's clock when the scan began), since a later change in the same tick would not
    move it."""
    found = stamp_of(st)
    return found if found[1] < fence else UNKNOWN


def _examine(existing: Existing, rel: str, path: str, st: os.stat_result, fence: int) -> None:
    """A file the manifest does not vouch for: generated (read, by its header) or foreign.
    Stamped before it is read, so an edit while reading shows as a change next time."""
    existing.stamps[rel] = _stamp(st, fence)
    if stat.S_ISREG(st.st_mode):
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError:  # unreadable: not ours to judge, nor to overwrite
            raw = b""
        existing.read += 1
        if raw.startswith(_HEADER):
            existing.generated[rel] = digest(raw)
            return
    existing.foreign.append(rel)


def _walk(existing: Existing, folder: str, prefix: str, fence: int) -> None:
    """Every file and folder under `folder` (whose relative path, with its slash, is
    `prefix`), examined."""
    stack = [(prefix, folder)]
    while stack:
        prefix, path = stack.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                rel = prefix + entry.name
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:  # gone since it was listed
                    continue
                if stat.S_ISDIR(st.st_mode):
                    existing.folders[rel] = _stamp(st, fence)
                    stack.append((rel + "/", entry.path))
                elif entry.name.startswith(TEMP_PREFIX):
                    existing.leftovers.append(rel)
                else:
                    _examine(existing, rel, entry.path, st, fence)


def scan(out: Path, known: Manifest | None = None, fence: int = 0) -> Existing:
    """Every file in `out`: generated ones (by their header) with their digest, the others
    as foreign. With a manifest, only what moved since is read or listed."""
    existing = Existing()
    try:
        root = os.lstat(out)
    except OSError:
        return existing
    if not stat.S_ISDIR(root.st_mode):
        return existing
    if known is not None:
        try:
            _scan_known(existing, os.fspath(out), known, fence)
        except (TypeError, ValueError, IndexError):  # a manifest that is not ours after all
            existing, known = Existing(), None
    if known is None:
        existing.folders[""] = _stamp(root, fence)
        _walk(existing, os.fspath(out), "", fence)
    existing.foreign.sort()
    return existing


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _moved(prefix: str, paths: list[str], was: list[Stamp]) -> list[int]:
    """Indices of `paths` (under `prefix`) whose stamp is not `was` (or that are gone).
    This runs for every file of the tree: the lstats and comparisons stream through map in
    C, and nothing is kept of a path that did not move."""
    try:
        flags = list(map(operator.ne, map(stamp_of, map(os.lstat, map(prefix.__add__, paths))),
                         was))
    except OSError:  # one is gone: again, one at a time
        flags = [st is None or stamp_of(st) != old for st, old in
                 zip(map(_lstat, map(prefix.__add__, paths)), was, strict=True)]
    return list(itertools.compress(range(len(flags)), flags))


def _scan_known(existing: Existing, base: str, known: Manifest, fence: int) -> None:
    prefix = base + "/"
    folders = dict(zip(known.folders, known.folder_stamps, strict=True))
    listed: list[str] = []  # folders whose entries may have changed
    gone: list[str] = []  # folders that are no longer folders
    for i in _moved(prefix, [rel or "." for rel in known.folders], known.folder_stamps):
        rel = known.folders[i]
        st = _lstat(prefix + rel if rel else base)
        if st is None or not stat.S_ISDIR(st.st_mode):
            gone.append(rel + "/")
            del folders[rel]
        else:
            folders[rel] = _stamp(st, fence)
            listed.append(rel)
    under = tuple(gone)
    if gone:
        folders = {rel: s for rel, s in folders.items() if not (rel + "/").startswith(under)}
    existing.folders = folders
    generated = dict(zip(known.files, known.digests, strict=True))
    stamps = dict(zip(known.files, known.stamps, strict=True))
    stamps.update(zip(known.foreign, known.foreign_stamps, strict=True))
    foreign = set(known.foreign)
    suspects = [known.files[i] for i in _moved(prefix, known.files, known.stamps)]
    suspects += [known.foreign[i] for i in _moved(prefix, known.foreign, known.foreign_stamps)]
    if gone:  # through a link in its place, a path below may still lstat: it is not ours
        suspects += [rel for rel in itertools.chain(known.files, known.foreign)
                     if rel.startswith(under)]
    for rel in suspects:
        generated.pop(rel, None)
        stamps.pop(rel, None)
        foreign.discard(rel)
    existing.generated, existing.stamps = generated, stamps
    existing.foreign = list(foreign)
    for rel in dict.fromkeys(suspects):
        st = _lstat(prefix + rel)
        if st is None or stat.S_ISDIR(st.st_mode) or rel.startswith(under):
            continue  # gone (a folder there now is found where its parent is listed)
        _examine(existing, rel, prefix + rel, st, fence)
    if listed:
        _list(existing, base, listed, {*known.files, *known.foreign}, fence)
    existing.moved = bool(suspects or listed or gone)


def _list(existing: Existing, base: str, listed: list[str], files: set[str],
          fence: int) -> None:
    """New entries of the folders in `listed`: files the manifest does not name are
    examined, folders it does not name (or named as a file) are walked whole."""
    for rel in listed:
        prefix = rel + "/" if rel else ""
        try:
            with os.scandir(f"{base}/{rel}" if rel else base) as found:
                entries = list(found)
        except OSError:  # gone since its lstat
            continue
        for entry in entries:
            child = prefix + entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                if child not in existing.folders:
                    existing.folders[child] = _stamp(st, fence)
                    _walk(existing, entry.path, child + "/", fence)
            elif entry.name.startswith(TEMP_PREFIX):
                existing.leftovers.append(child)
            elif child not in files:
                _examine(existing, child, entry.path, st, fence)
