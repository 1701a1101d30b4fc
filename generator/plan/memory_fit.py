"""Does the model fit its accelerator? A static estimate, checked in the pull request:

    needed = parameters x bytes per dtype x (1 + model.memoryReserve)

The reserve (default 20% of the weights) stands for the KV cache, activations and the
runtime. It is compared with the accelerator memory of one replica: GPU memory x count, a
MIG partition, a time-sharing or MPS client's share, or TPU HBM x chips.
"""

from __future__ import annotations

import math
import re
from typing import Any

from generator.catalog import Catalog
from generator.plan.parallelism import layout
from generator.plan.shape import Shape, ShapeError, shape_of

_SCALE = {"M": 1e-3, "B": 1.0, "T": 1e3}


def billions(parameters: str | None) -> float | None:
    """`"8B"` -> 8.0, `"1.5T"` -> 1500.0 (billions of parameters)."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([MBT])", parameters or "")
    return float(match[1]) * _SCALE[match[2]] if match else None


def needed_gb(spec: dict[str, Any], catalog: Catalog, dtype: str | None = None) -> float | None:
    size = billions(spec["model"].get("parameters"))
    if size is None:
        return None
    per_parameter = catalog.dtype_bytes[dtype or spec["model"]["dtype"]]
    return float(size * per_parameter * (1 + spec["model"]["memoryReserve"]))


def _tpu_alternatives(shape: Shape, needed: float, catalog: Catalog) -> list[str]:
    tpu = catalog.tpus[shape.name]
    for topology in [*tpu.single_host, *tpu.multi_host]:
        if math.prod(int(d) for d in topology.split("x")) * tpu.hbm_gb >= needed:
            return [f"{shape.name} topology {topology}"]
    return []


def alternatives(shape: Shape, needed: float, catalog: Catalog, limit: int = 3) -> list[str]:
    """The smallest single-node choices that hold `needed` GB, least memory first."""
    if shape.kind == "tpu":
        return _tpu_alternatives(shape, needed, catalog)
    options = []
    for gpu in catalog.gpus.values():
        count = next((c for c in gpu.counts if c * gpu.memory_gb >= needed), None)
        if count is not None:
            options.append((count * gpu.memory_gb, count, gpu.name))
    return [f"{count}x {name}" for _, count, name in sorted(options)[:limit]]


def smaller_dtype(spec: dict[str, Any], shape: Shape, catalog: Catalog,
                  memory: float | None = None) -> str | None:
    """The most precise lower-precision dtype that would fit the current choice."""
    current = catalog.dtype_bytes[spec["model"]["dtype"]]
    for dtype, size in sorted(catalog.dtype_bytes.items(), key=lambda kv: -kv[1]):
        if size < current and (needed_gb(spec, catalog, dtype) or 0) <= (
                shape.memory_gb if memory is None else memory):
            return dtype
    return None


MEMORY_FRACTION_OWNER = "spec.accelerator.sharing"


def user_fraction(spec: dict[str, Any], catalog: Catalog) -> tuple[str, float] | None:
    """The engine's memory fraction the user sets in server.args or server.env on a GPU of
    its own (vLLM --gpu-memory-utilization, SGLang --mem-fraction-static, TGI
    CUDA_MEMORY_FRACTION: the setting the catalog gives to spec.accelerator.sharing)."""
    server = spec.get("server", {})
    engine = catalog.engines.get(server.get("engine", ""))
    if engine is None or spec["accelerator"].get("sharing"):
        return None
    names = [n for n, owner in (engine.owns or {}).items() if owner == MEMORY_FRACTION_OWNER]
    args = [str(a) for a in server.get("args", [])]
    for name in names:
        text = server.get("env", {}).get(name) if not name.startswith("-") else next(
            (a.partition("=")[2] or (args[i + 1] if i + 1 < len(args) else "")
             for i, a in enumerate(args) if a.partition("=")[0] == name), None)
        try:
            fraction = float(text) if isinstance(text, str) else None
        except ValueError:
            fraction = None
        if fraction is not None and 0 < fraction <= 1:
            return name, fraction
    return None


def problem(spec: dict[str, Any], catalog: Catalog) -> tuple[str, str] | None:
    """(message, hint) when the model does not fit, else None."""
    needed = needed_gb(spec, catalog)
    try:
        shape = shape_of(spec["accelerator"], catalog)
    except ShapeError:
        return None  # reported by its own rule
    # a data-parallel rank holds a whole copy on its share of the replica's accelerators
    data = layout(spec, shape).data
    memory = shape.memory_gb / data
    given = user_fraction(spec, catalog) if shape.kind == "gpu" else None
    usable = memory * (given[1] if given else 1)
    if needed is None or shape.kind == "none" or needed <= usable:
        return None
    choice = (f"{shape.devices * shape.hosts}x {shape.name}" if shape.share == 1
              else f"a shared {shape.name}")
    if data > 1:
        choice = f"each of {data} data-parallel copies on {choice}"
    message = (f"{spec['model']['parameters']} parameters in {spec['model']['dtype']} need "
               f"about {needed:.0f} GB of accelerator memory; {choice} has "
               f"{memory:.0f} GB")
    if given is not None:
        field = "server.args" if given[0].startswith("-") else "server.env"
        message += f", of which {given[0]}={given[1]:g} in {field} lets the engine use " \
                   f"{usable:.0f} GB"
        if needed <= memory:
            return message, f"raise {given[0]}, or remove it"
    tries = alternatives(shape, needed, catalog)
    dtype = smaller_dtype(spec, shape, catalog, memory)
    if dtype:
        tries.append(f"{dtype} (about {needed_gb(spec, catalog, dtype):.0f} GB)")
    hint = ("try " + ", ".join(tries[:-1]) + (" or " if len(tries) > 1 else "") + tries[-1]
            if tries else "no single node holds it; split it across nodes")
    return message, hint
