"""The one problem record every pipeline step reports, and how it is printed."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem found in a file: 1-based line and column, dotted field path."""

    file: str
    line: int
    column: int
    path: str
    message: str
    step: str
    hint: str = ""
    severity: Severity = "error"

    def text(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        field = f" {self.path}:" if self.path else ""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{where}: {self.severity}[{self.step}]{field} {self.message}{hint}"

    def github(self) -> str:
        # GitHub workflow command: shows the message on the pull request's line.
        body = self.text().replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        level = "error" if self.severity == "error" else "warning"
        return f"::{level} file={self.file},line={self.line},col={self.column}::{body}"


@dataclass(frozen=True)
class Location:
    """Where a value was written: a file, its position and the dotted path inside it."""

    file: str
    line: int
    column: int
    path: str

    def diagnostic(self, step: str, message: str, hint: str = "",
                   severity: Severity = "error") -> Diagnostic:
        return Diagnostic(self.file, self.line, self.column, self.path, message, step,
                          hint, severity)


def as_rows(diagnostics: Iterable[Diagnostic]) -> list[list[object]]:
    """Plain JSON rows (for a cache); from_rows gives the diagnostics back."""
    return [[d.file, d.line, d.column, d.path, d.message, d.step, d.hint, d.severity]
            for d in diagnostics]


def from_rows(rows: Iterable[list[Any]]) -> list[Diagnostic]:
    return [Diagnostic(*row) for row in rows]


def errors(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "error"]


def unique_sorted(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """One line per distinct problem (a spec shared by two environments reports once)."""
    return sorted(set(diagnostics))


def format_all(diagnostics: Iterable[Diagnostic], fmt: str) -> str:
    items = unique_sorted(diagnostics)
    if fmt == "json":
        return json.dumps([asdict(d) for d in items], indent=2)
    if fmt == "github":
        return "\n".join(d.github() for d in items)
    return "\n".join(d.text() for d in items)


def dotted(path: Iterable[object]) -> str:
    """`("spec", "env", 0, "name")` -> `spec.env[0].name`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def did_you_mean(word: str, choices: Iterable[object]) -> str:
    """A hint naming the closest choice to a misspelt word, or "" when none is close."""
    options = [str(c) for c in choices]
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""
