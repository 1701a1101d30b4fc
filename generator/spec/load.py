"""Step 1: find spec files and read them into positioned documents.

A file that cannot be read or parsed becomes diagnostics, never an exception, so one bad
file never hides the problems of the others.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from generator.diagnostics import Diagnostic
from generator.spec.yamlio import MAX_FILE_BYTES, Document, decode, parse, too_large

SPEC_SUFFIXES = (".yaml", ".yml")
MAX_SPEC_FILES = 20_000


@dataclass(frozen=True)
class Source:
    """One input document: where it is shown (`display`), and its path inside the specs
    folder (`rel`), which is what rendered headers name so output never depends on cwd."""

    display: str
    rel: str
    document: Document

    @property
    def kind(self) -> object:
        data = self.document.data
        return data.get("kind") if isinstance(data, dict) else None


def _display(path: Path) -> str:
    """The path as the user would type it from here. relpath is slow (it resolves the
    working folder each time): a folder's is computed once per working folder."""
    if path.name in ("", ".", ".."):
        return _relative(os.fspath(path))
    folder = _folder_display(os.getcwd(), os.fspath(path.parent))
    return path.name if folder == "." else os.path.join(folder, path.name)


@functools.lru_cache(maxsize=1024)
def _shown(path: Path) -> str:
    """The path as a message may print it: escaped as the read step escapes a spec's name
    (a control character in a folder's name must not start a line of its own)."""
    return escaped(_display(path))


def _folder_display(cwd: str, folder: str) -> str:  # cwd: a key, not read
    return _relative(folder)


def _relative(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path


def discover(paths: Iterable[Path]) -> tuple[list[tuple[Path, Path]], list[Diagnostic]]:
    """(file, root) pairs for every spec file under the given files and folders."""
    paths = list(paths)
    found: list[tuple[Path, Path]] = []
    problems: list[Diagnostic] = []
    for given in paths:
        if given.is_dir():
            root = given.resolve()
            for name, link, is_file in _entries(given):
                spec = os.path.splitext(name)[1].lower() in SPEC_SUFFIXES
                file = Path(name) if spec or link else None
                if link:  # only a link can lead out of the folder
                    assert file is not None
                    refused = _link_problem(file, spec, root, given)
                    if refused is not None:
                        problems.append(refused)
                        continue
                    is_file = file.is_file()
                if spec and is_file:
                    assert file is not None
                    found.append((file, given))
        elif given.is_file():
            found.append((given, given.parent))
        else:
            problems.append(Diagnostic(_shown(given), 0, 0, "", "no such file or folder",
                                       "load"))
    found, clashes = _case_collisions(found)
    problems += clashes
    if len(found) > MAX_SPEC_FILES:
        problems.append(Diagnostic(", ".join(_shown(p) for p in paths), 0, 0, "",
                                   f"{len(found)} spec files found, more than the "
                                   f"{MAX_SPEC_FILES} allowed", "load"))
        return [], problems
    return found, problems


def _entries(folder: Path) -> list[tuple[str, bool, bool]]:
    """(path, is a link, is a file) of everything under `folder`, as `rglob("*")` finds it
    (never entering a linked folder, skipping one it may not read), in the order of sorted
    Paths; from scandir, which knows each entry's type without a stat."""
    found: list[tuple[tuple[str, ...], str, bool, bool]] = []
    stack = [os.fspath(folder)]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    link = entry.is_symlink()
                    found.append((tuple(entry.path.split(os.sep)), entry.path, link,
                                  not link and entry.is_file()))
                    if not link and entry.is_dir():
                        stack.append(entry.path)
        except PermissionError:
            continue
    found.sort(key=lambda item: item[0])
    return [(path, link, is_file) for _, path, link, is_file in found]


def _link_problem(link: Path, spec: bool, root: Path, given: Path) -> Diagnostic | None:
    """Why a symbolic link under `given` is refused, if it is."""
    if link.is_dir() and not link.resolve().is_relative_to(root):  # rglob would skip it
        return Diagnostic(_shown(link), 0, 0, "",
                          f"symbolic link to a folder outside {_shown(given)}", "load",
                          "copy the specs into the folder instead")
    if spec and not link.exists():
        return Diagnostic(_shown(link), 0, 0, "", "symbolic link points to a missing file",
                          "load")
    if spec and link.is_file() and not link.resolve().is_relative_to(root):
        return Diagnostic(_shown(link), 0, 0, "",
                          f"symbolic link points outside {_shown(given)}", "load",
                          "copy the spec into the folder instead")
    return None


def _case_collisions(
        found: list[tuple[Path, Path]]) -> tuple[list[tuple[Path, Path]], list[Diagnostic]]:
    """Refuse paths that differ only in case (`Llama.yaml` and `llama.yaml`, `LLM/` and
    `llm/`): on macOS and Windows they are one file or folder, so a checkout there loses
    one of them. The first spelling (in sorted order) is kept; the others are reported."""
    first: dict[tuple[Path, str], tuple[tuple[str, ...], Path]] = {}
    kept: list[tuple[Path, Path]] = []
    problems: list[Diagnostic] = []
    for file, root in found:
        parts = _inside(file, root)
        for depth in range(1, len(parts) + 1):
            spelled = parts[:depth]
            seen, seen_file = first.setdefault((root, "/".join(spelled).casefold()),
                                               (spelled, file))
            if seen != spelled:
                what, files = ("file", "") if depth == len(parts) else \
                    ("folder", f" ({_shown(seen_file)}, {_shown(file)})")
                problems.append(Diagnostic(
                    _shown(file), 0, 0, "",
                    f"{what} names {_shown(root.joinpath(*seen))} and "
                    f"{_shown(root.joinpath(*spelled))} differ only in case{files}: they "
                    f"are one {what} on macOS and Windows", "load", "rename one of them"))
                break
        else:
            kept.append((file, root))
    return kept, problems


def _inside(file: Path, root: Path) -> tuple[str, ...]:
    """The parts of `file` below `root`, which discover() found it under (relative_to
    without its checks: it runs once per spec file)."""
    return file.parts[len(root.parts):]


def escaped(name: str) -> str:
    """A path as it may be shown: bytes that are not UTF-8 as \\xNN, control characters
    escaped (a newline in a name must never start a line of a message or of a header)."""
    if name.isprintable():  # almost every name: no control character, no lone surrogate
        return name
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def _name_problem(display: str) -> Diagnostic | None:
    """A spec's path with a control character or bytes that are not UTF-8: refused by its
    escaped name. It would be written into every rendered file's header."""
    if escaped(display) == display:
        return None
    return Diagnostic(escaped(display), 0, 0, "", "the file's path holds a control character "
                      "or bytes that are not UTF-8", "load",
                      "rename it: letters, digits, dots, dashes and underscores")


def read_raw(file: Path, root: Path) -> tuple[str, str, bytes | None, list[Diagnostic]]:
    """A spec file's display name, path inside its folder, and bytes (None if unreadable, if
    its name cannot be shown, or if it is larger than a spec may be: judged from its size on
    disk, before a byte is read)."""
    display = _display(file)
    rel = "/".join(_inside(file, root))
    refused = _name_problem(display)
    if refused is not None:
        return escaped(display), escaped(rel), None, [refused]
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            return display, rel, None, [too_large(display, size)]
        return display, rel, file.read_bytes(), []
    except OSError as exc:
        return display, rel, None, [Diagnostic(display, 0, 0, "",
                                               f"cannot read: {exc.strerror}", "load")]


def read(file: Path, root: Path) -> tuple[list[Source], list[Diagnostic]]:
    display, rel, raw, problems = read_raw(file, root)
    return parse_file(raw, display, rel) if raw is not None else ([], problems)


def parse_file(raw: bytes, display: str, rel: str) -> tuple[list[Source], list[Diagnostic]]:
    text, problems = decode(raw, display)
    if text is None:
        return [], problems
    documents, problems = parse(text, display)
    if problems:
        return [], problems
    if not documents:
        return [], [Diagnostic(display, 1, 1, "", "file is empty", "load",
                               "add a Platform or ModelDeployment, or delete the file")]
    if len(documents) > 1:
        second = documents[1].values.get((), (1, 1))
        return [], [Diagnostic(display, second[0], second[1], "",
                               "more than one YAML document in a spec file", "load",
                               "put each ModelDeployment in a file of its own")]
    document = documents[0]
    if not isinstance(document.data, dict):
        line, column = document.values.get((), (1, 1))
        return [], [Diagnostic(display, line, column, "", "document is not a mapping", "load",
                               "a spec starts with `apiVersion: infergen.dev/v1alpha1`")]
    return [Source(display, rel, document)], []


def load(paths: Iterable[Path]) -> tuple[list[Source], list[Diagnostic]]:
    files, problems = discover(paths)
    sources: list[Source] = []
    for file, root in files:
        found, file_problems = read(file, root)
        sources.extend(found)
        problems.extend(file_problems)
    return sources, problems
