"""Check and build many specs on every core: each spec's unit is independent of the others
once the Platform is known, so forked workers compute them and hand back the same plain
data the cache stores (units.to_json), which the parent puts in place. The result is the
same bytes as one process computes; only the time differs."""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

from generator.catalog import Catalog
from generator.diagnostics import errors
from generator.incremental import units
from generator.plan.records import Platform

MIN_UNITS = 100  # below this, starting processes costs more than it saves

# What the forked workers read: set in the parent just before the fork, cleared after.
_WORK: dict[str, Any] = {}


def workers(count: int) -> int:
    """How many processes to use for `count` units: 1 means stay in this one."""
    wanted = os.environ.get("INFERGEN_WORKERS")
    cores = int(wanted) if wanted and wanted.isdigit() else (os.cpu_count() or 1)
    if "fork" not in multiprocessing.get_all_start_methods() or cores < 2:
        return 1
    return min(cores, count) if wanted or count >= MIN_UNITS else 1


def _one(index: int) -> tuple[dict[str, Any], list[str]]:
    unit = _WORK["units"][index]
    platform, digest, catalog = _WORK["platform"], _WORK["digest"], _WORK["catalog"]
    if unit.model is None or unit.model.platform != digest:
        units.check_model(unit, platform, digest, catalog)
    assert unit.model is not None
    if unit.model.built is None and not errors(unit.model.found + unit.model.problems):
        units.build_model(unit, platform, catalog, _WORK["version"], _WORK["out"])
    return units.to_json(unit)


def prepare(pending: list[units.Unit], platform: Platform, digest: str, catalog: Catalog,
            version: str | None, out: str) -> None:
    """Check, and where a unit checks clean build, every pending unit in parallel; units
    are updated in place. Does nothing (the caller computes them) with one worker."""
    count = workers(len(pending))
    if count < 2:
        return
    _WORK.update(units=pending, platform=platform, digest=digest, catalog=catalog,
                 version=version, out=out)
    try:
        with multiprocessing.get_context("fork").Pool(count) as pool:
            results = pool.map(_one, range(len(pending)),
                               chunksize=max(1, len(pending) // (count * 8)))
    finally:
        _WORK.clear()
    for unit, (data, texts) in zip(pending, results, strict=True):
        unit.model = units.from_json(data, texts, unit.raw or b"").model
