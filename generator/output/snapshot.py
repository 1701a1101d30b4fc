"""The output snapshot's contents and its file format (format 3); write.py writes the file.

A snapshot describes the live tree as the last write (or a render with nothing to write)
left it: every file with its stamp (inode, size, mtime_ns) and, for a generated one, its
digest; every folder with its stamp (inode, mtime_ns), so the next scan lists only the
folders whose entries changed; and the spare's record: which folder it is and at which
paths it may differ from the live tree.

The file is a checksummed header line and a `marshal` payload: marshal loads 40 MB of
strings and numbers in about 0.1 s, where JSON took 0.4-0.55 s. Its format depends on the
Python version, so the header names it and any other version reads as no snapshot: the
next render then reads every file, as after a deletion.

A write that changed a few files does not rewrite the whole snapshot: it writes a small
delta beside it (`-delta`) that names its base by checksum and holds the files it restamped,
the base files it no longer vouches for, and the foreign files, folders and spare whole.
A delta whose base is not the snapshot beside it is ignored. Each part's entries are judged
against its own file's mtime (racily clean).
"""

from __future__ import annotations

import marshal
import sys
import zlib
from dataclasses import dataclass, field

Stamp = tuple[int, int, int]  # inode, size, mtime_ns
FolderStamp = tuple[int, int]  # inode, mtime_ns
SpareIdentity = tuple[int, int, int, int]  # st_dev, st_ino, st_mtime_ns, st_ctime_ns

FORMAT = 3
# marshal's bytes are only defined for one Python version and marshal format
_FLAVOUR = f"{sys.implementation.cache_tag}.m{marshal.version}"
_MAGIC = b"infergen-snapshot"


@dataclass
class Snapshot:
    files: list[str] = field(default_factory=list)  # generated files
    stamps: list[Stamp] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)  # files without infergen's header
    foreign_stamps: list[Stamp] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)  # "" is the output folder itself
    folder_stamps: list[FolderStamp] = field(default_factory=list)
    spare: SpareIdentity | None = None  # None: the spare is not described
    spare_differs: list[str] = field(default_factory=list)  # paths where it may differ
    spare_folders: list[str] = field(default_factory=list)  # its folders, as last seen
    spare_folder_stamps: list[FolderStamp] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # a delta's: base files gone
    base: tuple[int, int] | None = None  # a delta's: its base payload's checksum and size
    # set on load, not stored
    fence: int = 0  # the file's mtime_ns: entries as new as it are not trusted
    ref: tuple[int, int] = (0, 0)  # the payload's checksum and size (a delta names them)
    split: int = -1  # files[:split] are the base's (judged by `fence`), the rest a delta's
    delta_fence: int = 0  # a delta's mtime_ns: for files[split:], foreign files, folders

    def __post_init__(self) -> None:
        if self.split < 0:
            self.split, self.delta_fence = len(self.files), self.fence


def encode(snapshot: Snapshot) -> tuple[bytes, bytes]:
    """The header line and the payload (written one after the other: no 40 MB copy)."""
    payload = marshal.dumps((snapshot.files, snapshot.stamps, snapshot.digests,
                             snapshot.foreign, snapshot.foreign_stamps, snapshot.folders,
                             snapshot.folder_stamps, snapshot.spare, snapshot.spare_differs,
                             snapshot.spare_folders, snapshot.spare_folder_stamps,
                             snapshot.removed, snapshot.base))
    header = b"%s %d %s %08x %d\n" % (_MAGIC, FORMAT, _FLAVOUR.encode(), zlib.crc32(payload),
                                      len(payload))
    return header, payload


def decode(raw: bytes, fence: int) -> Snapshot | None:
    """The snapshot in `raw`; None when it is damaged, of another format or written by
    another Python version."""
    end = raw.find(b"\n", 0, 200)
    payload = memoryview(raw)[end + 1:]  # a view: no copy of the payload
    try:
        magic, version, flavour, checksum, size = raw[:end].split(b" ")
        if (end < 0 or magic != _MAGIC or version != b"%d" % FORMAT
                or flavour != _FLAVOUR.encode() or int(size) != len(payload)
                or int(checksum, 16) != zlib.crc32(payload)):
            return None
        (files, stamps, digests, foreign, foreign_stamps, folders, folder_stamps, spare,
         spare_differs, spare_folders, spare_folder_stamps, removed,
         base) = marshal.loads(payload)
        snapshot = Snapshot(files, stamps, digests, foreign, foreign_stamps, folders,
                            folder_stamps, spare, spare_differs, spare_folders,
                            spare_folder_stamps, removed, base, fence,
                            (int(checksum, 16), int(size)))
    except (ValueError, TypeError, EOFError):
        return None
    return snapshot if _well_formed(snapshot) else None


def merge(base: Snapshot, delta: Snapshot) -> Snapshot | None:
    """The snapshot a base and its delta describe together; None when the delta names
    another base (a later write replaced it, or this one died before the delta)."""
    if delta.base != base.ref or base.base is not None:
        return None
    # the base's entries, then the delta's: where both name a file, the delta's is the
    # later (a scan checks each against the file, with its own fence)
    return Snapshot(base.files + delta.files, base.stamps + delta.stamps,
                    base.digests + delta.digests,
                    delta.foreign, delta.foreign_stamps, delta.folders, delta.folder_stamps,
                    delta.spare, delta.spare_differs, delta.spare_folders,
                    delta.spare_folder_stamps, delta.removed, delta.base, base.fence,
                    base.ref, len(base.files), delta.fence)


def _well_formed(snapshot: Snapshot) -> bool:
    """Lists of matching lengths. Not every item is checked (that would cost as much as
    the load): the checksum catches damage, and a scan treats a stamp it cannot compare
    as a change."""
    lists = (snapshot.files, snapshot.stamps, snapshot.digests, snapshot.foreign,
             snapshot.foreign_stamps, snapshot.folders, snapshot.folder_stamps,
             snapshot.spare_differs, snapshot.spare_folders, snapshot.spare_folder_stamps,
             snapshot.removed)
    if not all(isinstance(item, list) for item in lists):
        return False
    if snapshot.spare is not None and not _ints(snapshot.spare, 4):
        return False
    if snapshot.base is not None and not _ints(snapshot.base, 2):
        return False
    return (len(snapshot.files) == len(snapshot.stamps) == len(snapshot.digests)
            and len(snapshot.foreign) == len(snapshot.foreign_stamps)
            and len(snapshot.folders) == len(snapshot.folder_stamps)
            and len(snapshot.spare_folders) == len(snapshot.spare_folder_stamps))


def _ints(value: object, length: int) -> bool:
    return (isinstance(value, tuple) and len(value) == length
            and all(type(item) is int for item in value))
