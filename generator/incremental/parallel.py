"""Run one function over many items on every core: forked workers each compute some of the
items and hand back plain data. No decisions of its own: what to compute, and with how
much of it, is the orchestrator's; only how many processes pay off is decided here."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

MIN_UNITS = 100  # below this, starting processes costs more than it saves

Item = TypeVar("Item")
Result = TypeVar("Result")

# What the forked workers read: set in the parent just before the fork, cleared after.
_WORK: dict[str, Any] = {}


def workers(count: int) -> int:
    """How many processes to use for `count` items: 1 means stay in this one."""
    wanted = os.environ.get("INFERGEN_WORKERS")
    cores = int(wanted) if wanted and wanted.isdigit() else (os.cpu_count() or 1)
    if "fork" not in multiprocessing.get_all_start_methods() or cores < 2:
        return 1
    return min(cores, count) if wanted or count >= MIN_UNITS else 1


def _one(index: int) -> Any:
    return _WORK["work"](_WORK["items"][index])


def map_units(work: Callable[[Item], Result], items: Sequence[Item],
              count: int) -> list[Result]:
    """[work(item) for item in items], computed by `count` forked processes; `work` runs in
    a copy of this process, so only its result (plain, picklable data) comes back."""
    _WORK.update(work=work, items=items)
    try:
        with multiprocessing.get_context("fork").Pool(count) as pool:
            return pool.map(_one, range(len(items)),
                            chunksize=max(1, len(items) // (count * 8)))
    finally:
        _WORK.clear()
