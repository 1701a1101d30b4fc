"""Step 7: the only step that touches the disk.

The whole new tree is written beside the old one, then the two are swapped in one atomic
rename (Linux renameat2 RENAME_EXCHANGE), so a failure or a kill at any moment leaves
either the old tree or the new one, never a mix. Files infergen did not generate (they lack
its header) are carried over untouched; files it generated earlier and no longer produces
are pruned.

Only what changed costs a write. The new tree is not written from scratch: files whose text
is unchanged are hard links to the live ones, and the tree the last swap replaced is kept as
a spare (`.<out>.infergen-spare`) and brought up to date instead of being deleted and
rebuilt, so a one-spec change touches a handful of files. Files of the spare and the live
tree share inodes, so nothing here ever writes into an existing file: a path is unlinked,
then created anew. The spare is only trusted where it shares the live file's inode and the
live text is the desired one; anything else in it is replaced. Deleting it is always safe.

Files are compared by digest. After each write a snapshot (`.<out>.infergen-snapshot`)
records every generated file's inode, size, mtime and digest, so the next render knows a
file it finds with the same stamp without reading it, as git and rsync do; a file whose
mtime is not older than the snapshot itself is read anyway ("racily clean", in git's
words). Not ctime: linking the spare moves it on every file. `render --check` always reads
every file: it is the gate. Deleting the snapshot is always safe.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import glob
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from generator.output.text import HEADER_MARK, digest, digests_of


class WriteError(Exception):
    """The tree could not be written; the previous tree is still in place."""


Stamp = tuple[int, int, int]  # inode, size, mtime_ns


@dataclass
class Existing:
    generated: dict[str, str] = field(default_factory=dict)  # path -> digest of its bytes
    foreign: list[str] = field(default_factory=list)
    inodes: dict[str, int] = field(default_factory=dict)  # path -> inode, every file
    stamps: dict[str, Stamp] = field(default_factory=dict)  # generated path -> its stamp
    read: int = 0  # generated files the snapshot did not vouch for


def _files(folder: Path,
           folders: list[str] | None = None) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """(relative path, entry) of every file and symbolic link under `folder`; the relative
    path of every folder under it is added to `folders`."""
    stack = [("", os.fspath(folder))]
    while stack:
        prefix, path = stack.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if folders is not None:
                        folders.append(rel)
                    stack.append((rel + "/", entry.path))
                else:
                    yield rel, entry


_HEADER = HEADER_MARK.encode()


def scan(out: Path, *, trust_snapshot: bool = False) -> Existing:
    """Every file in `out`: generated ones (by their header) with their digest, the others
    as foreign. With `trust_snapshot`, a file the snapshot vouches for is not read."""
    existing = Existing()
    if not out.is_dir():
        return existing
    known = _load_snapshot(out) if trust_snapshot else {}
    for rel, entry in sorted(_files(out), key=lambda item: item[0]):
        existing.inodes[rel] = entry.inode()
        stamp = _stamp_of(entry)
        seen = known.get(rel)
        if seen is not None and stamp == seen[0]:
            existing.generated[rel], existing.stamps[rel] = seen[1], stamp
            continue
        if stamp is not None:  # a regular file: stamped before it is read
            try:
                with open(entry.path, "rb") as handle:
                    raw = handle.read()
            except OSError:
                raw = b""
            if raw.startswith(_HEADER):
                existing.generated[rel], existing.stamps[rel] = digest(raw), stamp
                existing.read += 1
                continue
        existing.foreign.append(rel)
    return existing


# ---------------------------------------------------------------- the snapshot

SNAPSHOT_FORMAT = 2


def snapshot_of(out: Path) -> Path:
    return out.parent / f".{out.name}.infergen-snapshot"


def _stamp(st: os.stat_result) -> Stamp | None:
    if not stat.S_ISREG(st.st_mode):
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _stamp_of(entry: os.DirEntry[str]) -> Stamp | None:
    try:
        return _stamp(entry.stat(follow_symlinks=False))
    except OSError:
        return None


def _load_snapshot(out: Path) -> dict[str, tuple[Stamp, str]]:
    """The files the snapshot vouches for; nothing when it is missing or damaged."""
    try:
        with open(snapshot_of(out), "rb") as handle:
            fence = os.fstat(handle.fileno()).st_mtime_ns
            data = json.loads(handle.read())
        if data["format"] != SNAPSHOT_FORMAT:
            return {}
        return {rel: ((ino, size, mtime), sha)
                for rel, (ino, size, mtime, sha) in data["files"].items()
                if isinstance(sha, str) and mtime < fence}  # else racily clean: read it
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _record(out: Path, digests: dict[str, str], stamps: dict[str, Stamp]) -> None:
    """Snapshot `out` as the write left it: `stamps` of the files it holds, each with the
    desired digest. Best effort: without it, the next render reads every file."""
    path = snapshot_of(out)
    with contextlib.suppress(OSError):
        path.unlink()
    files = {rel: [*stamps[rel], sha] for rel, sha in digests.items() if rel in stamps}
    try:
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{out.name}.infergen-tmp-")
    except OSError:
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:  # dumps: json.dump is slow
            stream.write(json.dumps({"format": SNAPSHOT_FORMAT, "files": files},
                                    separators=(",", ":")))
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)


@dataclass(frozen=True)
class Changes:
    added: list[str]
    changed: list[str]
    removed: list[str]
    blocked: list[str]  # paths we must write where a file we did not generate sits

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def lines(self, out: str) -> list[str]:
        return ([f"{out}/{p}: not generated by infergen, but infergen must write it"
                 for p in self.blocked]
                + [f"{out}/{p}: missing" for p in self.added]
                + [f"{out}/{p}: differs from what the specs produce" for p in self.changed]
                + [f"{out}/{p}: no longer produced by any spec" for p in self.removed])


def compare(desired: Mapping[str, str], existing: Existing,
            digests: dict[str, str] | None = None) -> Changes:
    """`digests` are the desired texts' (digests_of), when the caller has them already."""
    foreign = set(existing.foreign)
    want = digests if digests is not None else digests_of(desired)
    return Changes(
        added=sorted(p for p in desired if p not in existing.generated and p not in foreign),
        changed=sorted(p for p in desired
                       if p in existing.generated and existing.generated[p] != want[p]),
        removed=sorted(p for p in existing.generated if p not in desired),
        blocked=sorted(p for p in desired if p in foreign),
    )


# ---------------------------------------------------------------- the atomic swap

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False where the OS or file system cannot (tests replace
    it to drive the two-rename fallback and a failing swap)."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def siblings(out: Path) -> tuple[Path, Path, Path]:
    """The staging, backup and lock paths a write of `out` uses beside it."""
    prefix = out.parent / f".{out.name}.infergen"
    return Path(f"{prefix}-new"), Path(f"{prefix}-old"), Path(f"{prefix}-lock")


def spare_of(out: Path) -> Path:
    """The tree the last swap replaced, kept to be brought up to date by the next write."""
    return out.parent / f".{out.name}.infergen-spare"


def recover(out: Path) -> None:
    """Finish or undo a swap a killed run left behind: the old tree comes back whole."""
    staging, backup, _ = siblings(out)
    if backup.exists() and not out.exists():
        backup.rename(out)
    for leftover in (staging, backup):
        if leftover.exists():
            shutil.rmtree(leftover)
    for temporary in out.parent.glob(f".{glob.escape(out.name)}.infergen-tmp-*"):
        temporary.unlink()  # a snapshot a killed run was writing (we hold the lock)


@contextlib.contextmanager
def locked(out: Path) -> Iterator[None]:
    """One writer at a time; a second render fails clearly instead of interleaving."""
    _, _, lock = siblings(out)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise WriteError(f"another infergen is writing {out}; try again when it ends") \
                from exc
        yield


def _remove(path: Path) -> None:
    """Whatever sits at `path` goes: unlinked, never truncated (it may share an inode with
    a live file)."""
    try:
        path.unlink()
    except IsADirectoryError:
        shutil.rmtree(path)
    except FileNotFoundError:
        pass
    except PermissionError:  # a directory, on systems that say so
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            raise


def _parent(target: str, made: set[str]) -> None:
    # plain strings, not pathlib: this runs once per file of a fleet-sized tree
    parent = target.rpartition("/")[0]
    if parent in made:
        return
    try:
        os.makedirs(parent, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # a file where a folder must be
        folder = Path(parent)
        for ancestor in reversed(folder.parents):
            if ancestor.exists() and not ancestor.is_dir():
                _remove(ancestor)
        if folder.exists() and not folder.is_dir():
            _remove(folder)
        folder.mkdir(parents=True, exist_ok=True)
    made.add(parent)


def _place(staging: str, out: str, rel: str, text: str | None,
           made: set[str]) -> Stamp | None:
    """Create staging/rel: a hard link to the live file when `text` is None (unchanged),
    else a new file with `text`, whose stamp it returns."""
    target = f"{staging}/{rel}"
    _parent(target, made)
    if text is None:
        try:
            os.link(f"{out}/{rel}", target, follow_symlinks=False)
            return None
        except OSError:  # no hard links here (another file system, a limit): copy
            shutil.copy2(f"{out}/{rel}", target, follow_symlinks=False)
            return None
    Path(target).write_text(text, encoding="utf-8")
    return _stamp(os.stat(target))


def _stage(staging: Path, out: Path, desired: Mapping[str, str], digests: dict[str, str],
           existing: Existing) -> dict[str, Stamp]:
    """Make `staging` hold the new tree. It may start empty or as the spare (an older
    tree whose unchanged files share inodes with the live ones). Gives the stamp of each
    generated file: the live one's where it is linked, since a link keeps inode, size and
    mtime (a copy does not, and is read next time)."""
    staging.mkdir(parents=True, exist_ok=True)
    folders: list[str] = []
    present = {rel: entry.inode() for rel, entry in _files(staging, folders)}
    made = {os.fspath(staging)}
    staging_s, out_s = os.fspath(staging), os.fspath(out)
    wanted = set(digests) | set(existing.foreign)
    for rel in sorted(set(present) - wanted):
        _remove(staging / rel)
    for rel in existing.foreign:
        if present.get(rel) != existing.inodes.get(rel):
            if rel in present:
                _remove(staging / rel)
            _place(staging_s, out_s, rel, None, made)
    stamps: dict[str, Stamp] = {}
    for rel, sha in digests.items():  # a text is only looked up where it is written
        unchanged = existing.generated.get(rel) == sha
        if unchanged and rel in existing.stamps:
            stamps[rel] = existing.stamps[rel]
        if unchanged and present.get(rel) == existing.inodes.get(rel):
            continue  # the spare's file is the live file, which is as desired
        if rel in present:
            _remove(staging / rel)
        written = _place(staging_s, out_s, rel, None if unchanged else desired[rel], made)
        if written is not None:
            stamps[rel] = written
    if present:  # folders the spare no longer needs: those with no wanted file inside
        needed: set[str] = set()
        for rel in wanted:
            folder = rel.rpartition("/")[0]
            while folder and folder not in needed:
                needed.add(folder)
                folder = folder.rpartition("/")[0]
        for folder in sorted(set(folders) - needed, key=len, reverse=True):
            with contextlib.suppress(FileNotFoundError):  # inside one already removed
                os.rmdir(staging / folder)
    return stamps


def _keep_spare(old: Path, out: Path) -> None:
    """The replaced tree becomes the spare; any failure only costs the next write time."""
    spare = spare_of(out)
    try:
        if spare.exists():
            shutil.rmtree(spare)
        old.rename(spare)
    except OSError:
        shutil.rmtree(old, ignore_errors=True)


def _in_place(out: Path, digests: dict[str, str], existing: Existing) -> None:
    """With nothing to write: link up a spare if there is none yet (after a first render),
    so the next change restages a handful of files instead of the whole tree, and renew a
    snapshot that is missing or out of date. Best effort: a failure only costs time."""
    spare = spare_of(out)
    if not spare.exists() and out.is_dir():
        try:
            _stage(spare, out, {}, digests, existing)  # links only: no text is needed
        except OSError:
            shutil.rmtree(spare, ignore_errors=True)
    if existing.read:
        _record(out, digests, existing.stamps)


def settled(out: Path, digests: dict[str, str], *, exact: bool = False) -> bool:
    """True when `out` holds exactly the generated files of these digests (and no foreign
    file where one must go): a render has nothing to write, and needs no text at all.
    Then, as write() would, it links up a missing spare and renews the snapshot. `exact`
    (for --check) reads every file and writes nothing. False on any doubt or error."""
    if exact:
        return out.is_dir() and scan(out).generated == digests
    try:
        with locked(out):
            recover(out)
            existing = scan(out, trust_snapshot=True)
            if existing.generated != digests:
                return False
            _in_place(out, digests, existing)
            return True
    except (OSError, WriteError):
        return False


def write(out: Path, desired: Mapping[str, str],
          digests: dict[str, str] | None = None) -> Changes:
    """Make `out` hold exactly the desired generated files (plus foreign ones); `digests`
    are the texts' digests_of, when the caller has them."""
    try:
        with locked(out):
            recover(out)
            existing = scan(out, trust_snapshot=True)
            digests = digests if digests is not None else digests_of(desired)
            changes = compare(desired, existing, digests)
            if changes.blocked:
                raise WriteError("\n".join(changes.lines(str(out))))
            if not changes.any:
                _in_place(out, digests, existing)
                return changes
            staging, backup, _ = siblings(out)
            spare = spare_of(out)
            if spare.is_dir() and not spare.is_symlink() and out.is_dir():
                spare.rename(staging)
            stamps = _stage(staging, out, desired, digests, existing)
            if not out.exists():
                staging.rename(out)
            elif exchange(staging, out):
                _keep_spare(staging, out)  # now the old tree
            else:  # two renames; recover() restores the old tree if we die in between
                out.rename(backup)
                staging.rename(out)
                _keep_spare(backup, out)
            _record(out, digests, stamps)
            return changes
    except OSError as exc:
        with contextlib.suppress(OSError):
            recover(out)
            shutil.rmtree(spare_of(out), ignore_errors=True)
        raise WriteError(f"cannot write {out}: {exc.strerror or exc}") from exc
