"""What the orchestrator asks of a store of earlier results, and the store that holds none.

A store only saves time: every answer it gives must be what computing would give. The
orchestrator (generator/pipeline.py) asks it, in order: is this exact run known
(`finished`: then its tree's digests, no text)? is this file's unit known (`unit`)? what is this
platform-wide object's text (`serialize`)? then hands it the run to keep (`remember`). The
store writes nothing until `flush`, which the CLI calls once the tree is safe: on a nearly
full disk the tree matters, the cache not.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from generator.diagnostics import Diagnostic
from generator.incremental.units import RawFile, Unit


@dataclass(frozen=True)
class Options:
    """What a run's result depends on besides its files (a store keys on it)."""

    paths: tuple[Path, ...]
    out: str
    allow_empty: Collection[str] | None  # None: validate (an empty root is a warning)
    moves: str = ""  # output/sharding.py: start or complete moves between roots
    records: str = ""  # what the run reads from the tree (its placement records), named


class Lazy(Protocol):
    """A text read only when asked for, its digest known without it (output/text.py
    Stored)."""

    @property
    def text(self) -> str: ...

    @property
    def digest(self) -> str: ...


@dataclass(frozen=True)
class Known:
    """A run a store has seen with these exact inputs: its diagnostics, and its tree's
    digests (whether that tree is in place is the caller's to find out)."""

    diagnostics: list[Diagnostic]
    bug: bool
    digests: dict[str, str] | None  # None: the run gave no tree
    roots: dict[str, int] | None = None  # objects per Config Sync root


class Store(Protocol):
    def finished(self, options: Options, files: list[RawFile],
                 problems: list[Diagnostic]) -> Known | None: ...

    def unit(self, file: RawFile) -> Unit | None: ...

    def serialize(self, name: str, make: Callable[[], str]) -> str | Lazy:
        """The text of an object, `name` naming all it is written from (`make` writes it):
        the text, or its digest with the text read when asked for."""

    def verified(self, name: str) -> bool:
        """Whether the object so named was verified and kept by a run before."""

    def parsed(self, parse: Callable[[str], Any], text: str) -> Any:
        """parse(text): plain data, which a store may remember by the text's digest."""

    def remember(self, units: list[Unit], diagnostics: list[Diagnostic],
                 digests: dict[str, str] | None, bug: bool,
                 roots: dict[str, int] | None = None) -> None:
        """Queue the run for keeping (`digests`: its tree's, None without a tree)."""

    def flush(self) -> None: ...


class NoStore:
    """Remembers nothing: every run computes everything."""

    def finished(self, options: Options, files: list[RawFile],
                 problems: list[Diagnostic]) -> Known | None:
        return None

    def unit(self, file: RawFile) -> Unit | None:
        return None

    def serialize(self, name: str, make: Callable[[], str]) -> str:
        return make()

    def verified(self, name: str) -> bool:
        return False

    def parsed(self, parse: Callable[[str], Any], text: str) -> Any:
        return parse(text)

    def remember(self, units: list[Unit], diagnostics: list[Diagnostic],
                 digests: dict[str, str] | None, bug: bool,
                 roots: dict[str, int] | None = None) -> None:
        return None

    def flush(self) -> None:
        return None


NO_STORE = NoStore()
