"""The specs as they were at a git revision, for `infergen diff`: read with `git archive`
into a scratch folder, never touching the working tree, the index or rendered/."""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

from generator.catalog import Catalog
from generator.commands.pricing import plans_in
from generator.output import shard_record
from generator.pipeline import Outcome, compile_specs
from generator.plan.records import Plan, Platform

UPSTREAM = "origin/main"


class GitError(Exception):
    """git refused; the message is git's own."""


def _git(args: list[str], cwd: Path) -> bytes:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, env=env,
                              check=False)
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(message[-1] if message else f"git {args[0]} failed")
    return done.stdout


def _existing(path: Path) -> Path:
    path = path.resolve()
    while not path.is_dir():
        path = path.parent
    return path


def top_level(specs: Path) -> Path:
    return Path(_git(["rev-parse", "--show-toplevel"], _existing(specs)).decode().strip())


def default_base(specs: Path) -> str:
    """The merge base with origin/main when there is one, else HEAD."""
    cwd = _existing(specs)
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{UPSTREAM}^{{commit}}"], cwd)
    except GitError:
        return "HEAD"
    return _git(["merge-base", "HEAD", UPSTREAM], cwd).decode().strip()


def export_specs(ref: str, specs: Path, into: Path) -> Path:
    """Write the specs folder as it was at `ref` under `into`; returns its path there (an
    empty folder when the specs did not exist at `ref`)."""
    top = top_level(specs)
    try:
        commit = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top).decode()
    except GitError as exc:
        raise GitError(f"{ref!r} is not a commit of the repository") from exc
    rel = Path(os.path.relpath(specs.resolve(), top.resolve())).as_posix()
    if rel.startswith(".."):
        raise GitError(f"{specs} is outside the git repository {top}")
    target = into / rel
    target.mkdir(parents=True, exist_ok=True)
    if rel != "." and not _git(["ls-tree", "-d", commit.strip(), "--", rel], top).strip():
        return target
    data = _git(["archive", "--format=tar", commit.strip(), "--", rel], top)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(into, filter="data")
    return target


def export_records(ref: str, out: Path, into: Path) -> Path:
    """Write what placement reads from the tree `out` (output/shard_record.py: each environment's
    placement record and kustomization) as it was at `ref`, under `into`; returns the
    folder standing for `out` there (empty when `out` was not in git at `ref`)."""
    target = into / "records"
    target.mkdir(parents=True, exist_ok=True)
    top = top_level(out)
    rel = Path(os.path.relpath(out.resolve(), top.resolve())).as_posix()
    if rel.startswith(".."):
        return target
    try:
        envs = _git(["ls-tree", "--name-only", ref, "--", f"{rel}/"], top).decode().split()
        wanted = [f"{env}/{name}" for env in envs
                  for name in (shard_record.RECORD, shard_record.KUSTOMIZATION)]
        present = _git(["ls-tree", "--name-only", ref, "--", *wanted], top).decode().split() \
            if wanted else []
    except GitError:
        return target
    if present:
        data = _git(["archive", "--format=tar", ref, "--", *present], top)
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            archive.extractall(target, filter="data")
    return target / rel


def compile_at(ref: str, specs: Path, catalog: Catalog, out: Path = Path("rendered")) -> Outcome:
    """Compile the specs as they were at `ref`, in memory, keeping the placement the tree
    had there. Diagnostics name the files as `REF:specs/...`; only errors are kept (the
    base's warnings are not this change's)."""
    with tempfile.TemporaryDirectory(prefix="infergen-diff-") as scratch:
        folder = export_specs(ref, specs, Path(scratch))
        records = export_records(ref, out, Path(scratch))
        outcome = compile_specs([folder], "rendered", catalog, records=records)
        shown = os.path.relpath(folder)
        label = f"{ref}:{os.path.relpath(specs)}"
        outcome.diagnostics = [
            dataclasses.replace(d, file=label + d.file.removeprefix(shown))
            for d in outcome.diagnostics
            if d.severity == "error"]
    return outcome


def plans_at(ref: str, specs: Path, catalog: Catalog) -> tuple[Platform | None, list[Plan]]:
    """The resolved plans of the specs as they were at `ref` (which compiled clean), for the
    capacity and price `infergen diff` compares."""
    with tempfile.TemporaryDirectory(prefix="infergen-diff-") as scratch:
        return plans_in(export_specs(ref, specs, Path(scratch)), catalog)
