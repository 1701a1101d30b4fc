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
then created anew. The spare is not listed: the snapshot records where it may differ from
the live tree, and which folder it is (device, inode, mtime, ctime); the restage redoes
those paths, this write's changes and every path whose live stamp moved (a hand edit moves
the shared inode's). A spare the record does not describe is listed whole and trusted only
where it shares the live file's inode and the live text is the desired one. The record is
voided before the spare becomes staging, and written only after the swap, so a kill at any
moment never leaves one vouching for a tree it does not describe. Deleting it is always
safe.

Files are compared by digest. After each write a snapshot (`.<out>.infergen-snapshot`,
snapshot.py) records the new tree's stamps and digests, so the next scan (scan.py) reads
only what moved; a write of a few files records a delta beside it instead of the whole.
`render --check` always reads every file: it is the gate. Deleting the snapshot is always
safe.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import glob
import itertools
import operator
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from generator.output.scan import (
    Existing,
    Prescan,
    delta_of,
    file_stamp,
    lstat_all,
    scan,
    snapshot_of,
)
from generator.output.snapshot import FolderStamp, Snapshot, SpareIdentity, Stamp, encode
from generator.output.text import digests_of

# the public interface (scan, snapshot_of and Existing live in output/scan.py)
__all__ = ["Changes", "Existing", "Prescan", "WriteError", "compare", "exchange", "locked",
           "recover", "replace_atomically", "scan", "settled", "siblings", "snapshot_of",
           "spare_of", "write"]


class WriteError(Exception):
    """The tree could not be written; the previous tree is still in place."""


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


# ---------------------------------------------------------------- the snapshot

def _stamp(st: os.stat_result) -> Stamp | None:
    return file_stamp(st) if stat.S_ISREG(st.st_mode) else None


# a delta larger than this share of the files (restamped or gone since the base), and
# than _DELTA_FLOOR, is folded into a new base: loading the two then costs more than
# writing the whole again
_DELTA_LIMIT = 0.05
_DELTA_FLOOR = 64


def _record(out: Path, snapshot: Snapshot) -> None:
    """Write the snapshot of `out`, atomically: a delta when `snapshot` is one (it names
    its base), else the whole, with no delta. Best effort: without it, the next render
    reads every file."""
    if snapshot.base is not None:
        _save(out, delta_of(out), snapshot)
        return
    for stale in (delta_of(out), snapshot_of(out)):  # the delta first: it names the base
        with contextlib.suppress(OSError):
            stale.unlink()
    _save(out, snapshot_of(out), snapshot)


def _save(out: Path, path: Path, snapshot: Snapshot) -> None:
    replace_atomically(path, encode(snapshot), f".{out.name}.infergen-tmp-")


def replace_atomically(path: Path, parts: Iterable[bytes], prefix: str) -> bool:
    """Write `parts` to a temporary file (named `prefix`...) beside `path`, then rename it
    over `path`: a reader finds the old file or the new one, never half of one. False, and
    nothing left behind, on an OSError: for files that only save time (the snapshot, the
    cache's entries)."""
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


def _folders_of(paths: Iterable[str]) -> set[str]:
    """Every folder that holds one of `paths`, with its ancestors; "" is the root."""
    parents = {rel.rpartition("/")[0] for rel in paths}
    needed = {""}
    for folder in parents:
        while folder not in needed:
            needed.add(folder)
            folder = folder.rpartition("/")[0]
    return needed


def _snapshot(tree: str, digests: dict[str, str], stamps: dict[str, Stamp],
              existing: Existing, folders: set[str],
              known: dict[str, FolderStamp], redone: set[str] | None) -> Snapshot:
    """The snapshot of the new tree at `tree`, stamped there before it is swapped in (an
    edit after the swap then shows as a change): `stamps` of its generated files, each
    with the desired digest, the foreign files the scan found, and its `folders`, each
    stamped from `known` or else by an lstat."""
    names = sorted(folders)
    unknown = [rel for rel in names if rel not in known]
    stats = lstat_all([f"{tree}/{rel}" if rel else tree for rel in unknown])
    found = {rel: (st.st_ino, st.st_mtime_ns) for rel, st in zip(unknown, stats, strict=True)
             if st is not None and stat.S_ISDIR(st.st_mode)}
    kept = [rel for rel in names if rel in found or rel in known]
    return _snapshot_of_files(digests, stamps, existing, kept,
                              [found[rel] if rel in found else known[rel] for rel in kept],
                              redone)


def _snapshot_of_files(digests: dict[str, str], stamps: dict[str, Stamp], existing: Existing,
                       folders: list[str], folder_stamps: list[FolderStamp],
                       redone: set[str] | None = None) -> Snapshot:
    """`redone`: the only paths whose entry may differ from the trusted snapshot's (the
    others are still there, as desired, with the same stamp); None: build every entry.
    With `redone`, a delta on the trusted snapshot's base while it stays small."""
    known = existing.snapshot
    if known is not None and redone is not None:
        delta = _delta(digests, stamps, existing, known, redone)
        if len(delta.files) + len(delta.removed) <= max(_DELTA_LIMIT * len(known.files),
                                                         _DELTA_FLOOR):
            delta.folders, delta.folder_stamps = folders, folder_stamps
            return delta
    if known is not None and redone is not None:  # the known entries, patched: all in C
        split = known.split
        drop = redone | set(known.removed)
        later = [i for i, rel in enumerate(known.files[split:], split) if rel not in drop]
        drop.update(known.files[split:])  # a base entry the delta replaced
        keep = list(map(operator.not_, map(drop.__contains__, known.files[:split])))
        files = list(itertools.compress(known.files[:split], keep))
        stamped = list(itertools.compress(known.stamps[:split], keep))
        sums = list(itertools.compress(known.digests[:split], keep))
        for i in later:
            files.append(known.files[i])
            stamped.append(known.stamps[i])
            sums.append(known.digests[i])
        _append_redone(redone, digests, stamps, (files, stamped, sums))
    else:
        if stamps.keys() >= digests.keys():  # every file stamped (none copied): all in C
            files, sums = list(digests), list(digests.values())
        else:
            files = [rel for rel in digests if rel in stamps]
            sums = list(map(digests.__getitem__, files))
        stamped = list(map(stamps.__getitem__, files))
    foreign = [rel for rel in existing.foreign if rel in existing.foreign_stamps]
    return Snapshot(files=files, stamps=stamped, digests=sums, foreign=foreign,
                    foreign_stamps=[existing.foreign_stamps[rel] for rel in foreign],
                    folders=folders, folder_stamps=folder_stamps)


def _append_redone(redone: set[str], digests: dict[str, str], stamps: dict[str, Stamp],
                   entries: tuple[list[str], list[Stamp], list[str]]) -> set[str]:
    """Append each redone path that the write left a file at (path, stamp, digest), in
    order; the others are returned."""
    files, stamped, sums = entries
    gone = set()
    for rel in sorted(redone):
        if rel in digests and rel in stamps:
            files.append(rel)
            stamped.append(stamps[rel])
            sums.append(digests[rel])
        else:
            gone.add(rel)
    return gone


def _delta(digests: dict[str, str], stamps: dict[str, Stamp], existing: Existing,
           known: Snapshot, redone: set[str]) -> Snapshot:
    """The trusted snapshot's delta, on its base, after a write that redid `redone`."""
    files, stamped, sums = [], [], []
    for rel, stamp, sha in zip(known.files[known.split:], known.stamps[known.split:],
                               known.digests[known.split:], strict=True):
        if rel not in redone:
            files.append(rel)
            stamped.append(stamp)
            sums.append(sha)
    # whatever the base says of a path redone and no longer written no longer holds
    removed = set(known.removed) | _append_redone(redone, digests, stamps,
                                                  (files, stamped, sums))
    foreign = [rel for rel in existing.foreign if rel in existing.foreign_stamps]
    return Snapshot(files=files, stamps=stamped, digests=sums, foreign=foreign,
                    foreign_stamps=[existing.foreign_stamps[rel] for rel in foreign],
                    removed=sorted(removed - set(files)), base=known.ref)


def _spare_folders(existing: Existing, touched: set[str]) -> dict[str, FolderStamp]:
    """The stamps of the spare's folders its record vouches for, but those in `touched`
    (a restage changed them) and the spare itself (renamed)."""
    known = existing.snapshot
    if known is None:
        return {}
    folders = dict(zip(known.spare_folders, known.spare_folder_stamps, strict=True))
    folders.pop("", None)
    for rel in touched:
        folders.pop(rel, None)
    return folders


def _spare_identity(spare: Path) -> SpareIdentity | None:
    """What proves the spare is the folder a snapshot describes: a rename or any entry
    added or removed at its top moves its ctime."""
    try:
        st = os.lstat(spare)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        return None
    return st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns


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
    """`digests` are the desired texts' (digests_of), when the caller has them already.
    The passes over every path run in C (map, compress, dict comparison): a fleet has
    hundreds of thousands of paths, and a change a handful."""
    want = digests if digests is not None else digests_of(desired)
    have = existing.generated
    # desired paths that are missing or differ
    differing = [] if want == have else list(
        itertools.compress(want, map(operator.ne, want.values(), map(have.get, want))))
    missing = [p for p in differing if p not in have]
    foreign = set(existing.foreign)
    return Changes(
        added=sorted(p for p in missing if p not in foreign),
        changed=sorted(p for p in differing if p in have),
        removed=sorted(have.keys() - want.keys()) if len(have) > len(want) - len(missing)
        else [],
        blocked=sorted(p for p in foreign if p in want),
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
    """One writer at a time; a second render fails clearly instead of interleaving. Held
    already by this process (a render holds it from its scan's Prescan to its write), it
    is simply held on."""
    _, _, lock = siblings(out)
    key = os.path.abspath(lock)
    if key in _HELD:
        yield
        return
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise WriteError(f"another infergen is writing {out}; try again when it ends") \
                from exc
        _HELD.add(key)
        try:
            yield
        finally:
            _HELD.discard(key)


_HELD: set[str] = set()  # the locks this process holds


def _remove(path: Path) -> None:
    """Whatever sits at `path` goes: unlinked, never truncated (it may share an inode with
    a live file)."""
    try:
        path.unlink()
    except IsADirectoryError:
        shutil.rmtree(path)
    except (FileNotFoundError, NotADirectoryError):  # gone, or inside a file now
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
        if present.get(rel) != existing.inode(rel):
            if rel in present:
                _remove(staging / rel)
            _place(staging_s, out_s, rel, None, made)
    stamps: dict[str, Stamp] = {}
    known = existing.all_stamps()
    for rel, sha in digests.items():  # a text is only looked up where it is written
        unchanged = existing.generated.get(rel) == sha
        if unchanged and rel in known:
            stamps[rel] = known[rel]
        if unchanged and present.get(rel) == existing.inode(rel):
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


def _restage(staging: Path, out: Path, desired: Mapping[str, str], digests: dict[str, str],
              existing: Existing, differs: set[str], needed: set[str]) -> dict[str, Stamp]:
    """Bring the spare, renamed to `staging`, up to date without listing it: it is the
    previous live tree, whose files share inodes with the live ones, except at the paths
    its record names; those, the paths this write changes and those whose live stamp moved
    are `differs`, and only they are unlinked and placed again. `needed` are the folders
    the new tree needs (a folder in `differs` that it needs is kept)."""
    staging_s, out_s = os.fspath(staging), os.fspath(out)
    ordered = sorted(differs)
    for rel in ordered:
        if rel in needed and os.path.isdir(f"{staging_s}/{rel}"):
            continue
        _remove(staging / rel)
    for rel in sorted(differs - needed, reverse=True):  # deepest first: folders left empty
        folder = rel.rpartition("/")[0]
        while folder and folder not in needed:
            try:
                os.rmdir(f"{staging_s}/{folder}")
            except OSError:  # not empty (or gone): stop here
                break
            folder = folder.rpartition("/")[0]
    stamps: dict[str, Stamp] = {}  # of the files placed; the others keep the live stamps
    made = {staging_s}
    foreign = set(existing.foreign)
    for rel in ordered:
        sha = digests.get(rel)
        if sha is not None:
            unchanged = existing.generated.get(rel) == sha
            written = _place(staging_s, out_s, rel, None if unchanged else desired[rel], made)
            if written is None:  # linked (or copied): as the file is now
                written = _stamp(os.lstat(f"{staging_s}/{rel}"))
            if written is not None:
                stamps[rel] = written
        elif rel in foreign:
            _place(staging_s, out_s, rel, None, made)
    return stamps


def _spare_differs(existing: Existing, spare: Path) -> set[str] | None:
    """The paths where the spare may differ from the live tree, from the snapshot's record
    of it; None where the record does not vouch for this spare (then it is listed)."""
    known, moved = existing.snapshot, existing.moved
    if known is None or moved is None or known.spare is None:
        return None
    if _spare_identity(spare) != tuple(known.spare):
        return None
    return set(known.spare_differs) | moved | set(known.foreign)


def _empty_folders(existing: Existing, needed: set[str]) -> set[str]:
    """Live folders the new tree does not need (they hold no file it keeps): after the
    swap they are in the spare, and the next restage must remove them."""
    return {rel for rel in existing.folders if rel not in needed}


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
    differs: set[str] | None = None
    linked = False
    if not spare.exists() and out.is_dir():
        try:
            _stage(spare, out, {}, digests, existing)  # links only: no text is needed
            differs, linked = set(), True
        except OSError:
            shutil.rmtree(spare, ignore_errors=True)
    elif not (existing.read or existing.renew):
        return  # the snapshot describes the tree and the spare as they are
    else:
        differs = _spare_differs(existing, spare)
    folders = list(existing.folders)
    snapshot = _snapshot_of_files(digests, existing.all_stamps(), existing, folders,
                                  [existing.folders[rel] for rel in folders])
    if differs is not None:
        snapshot.spare = _spare_identity(spare)
        snapshot.spare_differs = sorted(differs | set(existing.foreign))
        if existing.snapshot is not None and not linked:  # the spare as it was recorded
            snapshot.spare_folders = existing.snapshot.spare_folders
            snapshot.spare_folder_stamps = existing.snapshot.spare_folder_stamps
    _record(out, snapshot)


def settled(out: Path, digests: dict[str, str], *, exact: bool = False,
            prescan: Prescan | None = None) -> bool:
    """True when `out` holds exactly the generated files of these digests (and no foreign
    file where one must go): a render has nothing to write, and needs no text at all.
    Then, as write() would, it links up a missing spare and renews the snapshot. `exact`
    (for --check) reads every file and writes nothing. False on any doubt or error."""
    if exact:
        return out.is_dir() and scan(out).generated == digests
    try:
        with locked(out):
            recover(out)
            existing = scan(out, trust_snapshot=True, prescan=prescan)
            if existing.generated != digests:
                return False
            _in_place(out, digests, existing)
            return True
    except (OSError, WriteError):
        return False


def write(out: Path, desired: Mapping[str, str],
          digests: dict[str, str] | None = None, prescan: Prescan | None = None) -> Changes:
    """Make `out` hold exactly the desired generated files (plus foreign ones); `digests`
    are the texts' digests_of, when the caller has them; `prescan`: the lstats of the scan,
    made while the caller compiled (it holds the lock since)."""
    try:
        with locked(out):
            recover(out)
            existing = scan(out, trust_snapshot=True, prescan=prescan)
            digests = digests if digests is not None else digests_of(desired)
            changes = compare(desired, existing, digests)
            if changes.blocked:
                raise WriteError("\n".join(changes.lines(str(out))))
            if not changes.any:
                _in_place(out, digests, existing)
                return changes
            staging, backup, _ = siblings(out)
            spare = spare_of(out)
            differs: set[str] | None = None
            if spare.is_dir() and not spare.is_symlink() and out.is_dir():
                differs = _spare_differs(existing, spare)
                if differs is not None:  # from here on the record no longer vouches for it
                    os.utime(spare)
                spare.rename(staging)
            needed = _folders_of(itertools.chain(digests, existing.foreign))
            touched = {*changes.added, *changes.changed, *changes.removed, *existing.foreign}
            redone: set[str] | None = None
            folders: dict[str, FolderStamp] = {}
            if differs is not None:
                redone = differs | touched
                stamps = _restage(staging, out, desired, digests, existing, redone, needed)
                # the folders the restage did not touch are as the spare's record says
                folders = _spare_folders(existing, _folders_of(redone))
            else:
                stamps = _stage(staging, out, desired, digests, existing)
                if existing.moved is not None:
                    redone = {*touched, *existing.moved}
            snapshot = _snapshot(os.fspath(staging), digests, stamps, existing, needed,
                                 folders, redone)
            if not out.exists():
                staging.rename(out)
                _record(out, snapshot)  # no tree was replaced: a spare there is not one
                return changes
            if exchange(staging, out):
                _keep_spare(staging, out)  # now the old tree
            else:  # two renames; recover() restores the old tree if we die in between
                out.rename(backup)
                staging.rename(out)
                _keep_spare(backup, out)
            # the spare is the tree this write replaced: it differs from the new one where
            # this write changed a path or found one moved, and in the folders it dropped
            snapshot.spare = _spare_identity(spare)
            snapshot.spare_differs = sorted(touched | (existing.moved or set())
                                            | _empty_folders(existing, needed))
            snapshot.spare_folders = list(existing.folders)  # the replaced tree's
            snapshot.spare_folder_stamps = list(existing.folders.values())
            _record(out, snapshot)
            return changes
    except OSError as exc:
        with contextlib.suppress(OSError):
            recover(out)
            shutil.rmtree(spare_of(out), ignore_errors=True)
        raise WriteError(f"cannot write {out}: {exc.strerror or exc}") from exc
