"""Step 7 for `infergen render`: put a compile's tree in place (or, with --check, compare
it), say what happened, and choose the exit code. A compile a store knew gives only the
tree's digests: `in_place` says whether the tree on disk is that one (if not, the caller
compiles again, for the texts)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import click

from generator.diagnostics import Diagnostic, errors
from generator.output.write import WriteError, compare, scan, settle, write

EXIT_OK, EXIT_PROBLEMS, EXIT_BUG = 0, 1, 3


class Compiled(Protocol):
    """What publish reads of a compile's outcome (pipeline.Outcome)."""

    diagnostics: list[Diagnostic]
    tree: Mapping[str, str] | None
    bug: bool
    digests: dict[str, str] | None


@dataclass(frozen=True)
class Published:
    code: int
    keep: bool  # the run's results may be remembered (the tree is safe, or none is due)


def _failed(outcome: Compiled) -> bool:
    return bool(errors(outcome.diagnostics)) or (outcome.tree is None
                                                 and outcome.digests is None)


def _known(outcome: Compiled) -> bool:
    """A run a store knew: the tree's digests without its texts."""
    return outcome.tree is None and outcome.digests is not None and not _failed(outcome)


def in_place(outcome: Compiled, out: Path, check: bool) -> bool:
    """False only where the outcome is a known run's and `out` does not hold its tree
    (--check reads every file; a render trusts the manifest, and renews it)."""
    if not _known(outcome):
        return True
    assert outcome.digests is not None
    if check:
        found = scan(out)
        return out.is_dir() and found.generated == outcome.digests and not found.leftovers
    return settle(out, outcome.digests)


def exit_code(outcome: Compiled) -> int:
    if outcome.bug:
        return EXIT_BUG
    return EXIT_PROBLEMS if _failed(outcome) else EXIT_OK


def publish(outcome: Compiled, out: Path, check: bool) -> Published:
    """`keep` is false where the old tree may still be what the store should not vouch for:
    a bug, a stale --check, a write that failed. A known run's tree is in place
    (`in_place`)."""
    if _known(outcome):  # nothing to write
        assert outcome.digests is not None
        count = len(outcome.digests)
        click.echo(f"infergen: {out} is up to date ({count} files)" if check else
                   f"infergen: rendered {count} files into {out} "
                   "(0 added, 0 changed, 0 removed)")
        return Published(EXIT_OK, True)
    if outcome.tree is None or _failed(outcome):
        if not outcome.bug:
            click.echo(f"infergen: {out} left untouched", err=True)
        # nothing to write: remember the diagnostics for next time (never a bug's)
        return Published(exit_code(outcome), not outcome.bug)
    if check:
        changes = compare(outcome.tree, scan(out), outcome.digests)
        if changes.any or changes.blocked:
            click.echo("\n".join(changes.lines(out.as_posix())))
            click.echo(f"infergen: {out} is stale; run `make render` and commit it", err=True)
            return Published(EXIT_PROBLEMS, False)
        click.echo(f"infergen: {out} is up to date ({len(outcome.tree)} files)")
        return Published(EXIT_OK, True)
    try:
        written = write(out, outcome.tree, outcome.digests)
    except WriteError as exc:
        click.echo(f"infergen: {exc}", err=True)
        return Published(EXIT_PROBLEMS, False)
    summary = (f"{len(written.added)} added, {len(written.changed)} changed, "
               f"{len(written.removed)} removed")
    click.echo(f"infergen: rendered {len(outcome.tree)} files into {out} ({summary})")
    return Published(EXIT_OK, True)
