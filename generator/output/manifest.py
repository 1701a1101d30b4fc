"""The manifest of a rendered tree (`.<out>.infergen-manifest`, beside it): what the last
render left there. Every generated file with its digest, every foreign file (one without
infergen's header) and every folder, each with its stamp (inode, ctime).

The next render lstats each path it names and reads only the files whose stamp moved, as
git does with its index. ctime moves with any change to a file (its bytes, size, mtime or
mode, or another file renamed onto it) and cannot be set back by hand. A folder's ctime
moves when an entry is added, removed or renamed, so new files are looked for only in
the folders whose stamp moved. A stamp taken in the clock tick of the change it records
could hide a later change in that same tick ("racily clean", in git's words): it is kept
as UNKNOWN, and that path is read next time.

The file is a checksummed header line, then a `marshal` payload. Its format depends on the
Python version, so the header names it: another version, or any damage, reads as no
manifest, and the next render reads every file. `render --check` never trusts it (it is the
gate). Deleting it is always safe.
"""

from __future__ import annotations

import marshal
import operator
import os
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Stamp = tuple[int, int]  # st_ino, st_ctime_ns
UNKNOWN: Stamp = (-1, -1)  # never equal to a real stamp: read next time

# a path's stamp from its lstat, in C: it runs for every file of the tree
stamp_of: Callable[[os.stat_result], Stamp] = operator.attrgetter("st_ino", "st_ctime_ns")

FORMAT = 2
# marshal's bytes are only defined for one Python version and marshal format
_FLAVOUR = f"{sys.implementation.cache_tag}.m{marshal.version}".encode()
_MAGIC = b"infergen-manifest"


@dataclass
class Manifest:
    files: list[str] = field(default_factory=list)  # generated files
    digests: list[str] = field(default_factory=list)
    stamps: list[Stamp] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    foreign_stamps: list[Stamp] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)  # "" is the output folder itself
    folder_stamps: list[Stamp] = field(default_factory=list)


def path_of(out: Path) -> Path:
    return out.parent / f".{out.name}.infergen-manifest"


def encode(manifest: Manifest) -> bytes:
    # the files and their digests each as one text: marshal then copies two strings
    # instead of writing (and reading back) 400,000 at fleet scale
    payload = marshal.dumps(("\n".join(manifest.files), "\n".join(manifest.digests),
                             manifest.stamps, manifest.foreign, manifest.foreign_stamps,
                             manifest.folders, manifest.folder_stamps))
    return b"%s %d %s %08x %d\n" % (_MAGIC, FORMAT, _FLAVOUR, zlib.crc32(payload),
                                    len(payload)) + payload


def decode(raw: bytes) -> Manifest | None:
    """The manifest in `raw`; None when it is damaged, of another format or written by
    another Python version."""
    end = raw.find(b"\n", 0, 200)
    payload = memoryview(raw)[end + 1:]  # a view: no copy of the payload
    try:
        magic, version, flavour, checksum, size = raw[:end].split(b" ")
        if (end < 0 or magic != _MAGIC or version != b"%d" % FORMAT or flavour != _FLAVOUR
                or int(size) != len(payload) or int(checksum, 16) != zlib.crc32(payload)):
            return None
        files, digests, *rest = marshal.loads(payload)
        manifest = Manifest(_lines(files), _lines(digests), *rest)
    except (ValueError, TypeError, EOFError, AttributeError):
        return None
    return manifest if _well_formed(manifest) else None


def _lines(joined: str) -> list[str]:
    return joined.split("\n") if joined else []


def load(out: Path) -> Manifest | None:
    try:
        return decode(path_of(out).read_bytes())
    except OSError:
        return None


def _well_formed(manifest: Manifest) -> bool:
    """Lists of matching lengths. Not every item is checked (that would cost as much as the
    load): the checksum catches damage, and a scan reads a path whose stamp it cannot
    compare."""
    lists = (manifest.files, manifest.digests, manifest.stamps, manifest.foreign,
             manifest.foreign_stamps, manifest.folders, manifest.folder_stamps)
    return (all(isinstance(item, list) for item in lists)
            and len(manifest.files) == len(manifest.digests) == len(manifest.stamps)
            and len(manifest.foreign) == len(manifest.foreign_stamps)
            and len(manifest.folders) == len(manifest.folder_stamps))
