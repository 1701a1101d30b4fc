"""The jetstream-maxtext server's command line: a MaxText config file, then MaxText
`key=value` settings derived from the spec (catalog/maxtext.py says which keys exist)."""

from __future__ import annotations

from typing import Any

from generator.catalog.engine_entry import Engine
from generator.catalog.maxtext import maxtext
from generator.plan.shape import Shape

FSDP = "ici_fsdp"  # MaxText's default is -1 (auto): pinned to 1 unless the spec names it


def parallelism(spec: dict[str, Any], shape: Shape) -> dict[str, int]:
    """Chips per ICI axis: the spec's, else every chip of the slice on ici_tensor."""
    given = spec["server"].get("maxtext", {}).get("parallelism")
    return dict(given) if given else {"ici_tensor": shape.devices * shape.hosts}


def config_file(spec: dict[str, Any]) -> str:
    return str(spec["server"].get("maxtext", {}).get("config", maxtext().default_config))


def server_args(spec: dict[str, Any], shape: Shape, engine: Engine) -> list[str]:
    """What the server is started with (before the spec's own server.args)."""
    settings = spec["server"].get("maxtext", {})
    model = spec["model"]
    terms = maxtext()
    args = [config_file(spec), f"model_name={settings.get('modelName', '')}",
            f"load_parameters_path={model['source']}"]
    length = model.get("maxModelLength")
    if length:  # the prompt may take half the context, as the tutorial's 1024 of 2048
        args += [f"max_prefill_predict_length={max(length // 2, 1)}",
                 f"max_target_length={length}"]
    axes = {FSDP: 1, **parallelism(spec, shape)}
    args += [f"{terms.axis_key(axis)}={n}" for axis, n in sorted(axes.items())]
    args += list(engine.dtype_args.get(model["dtype"], ()))
    if "perDeviceBatchSize" in settings:
        size = settings["perDeviceBatchSize"]
        args.append(f"per_device_batch_size={int(size) if float(size).is_integer() else size}")
    quantization = settings.get("quantization")
    if quantization:
        args.append(f"quantization={quantization}")
        if quantization == "int8":  # the KV cache too, as the tutorial serves int8
            args.append("quantize_kvcache=true")
        if model.get("preQuantized"):
            args.append("checkpoint_is_quantized=true")
    metrics = engine.served_metrics.port
    # one JAX client drives every host through Pathways; the converted checkpoint is
    # unscanned (the tutorial's conversion Job writes it so)
    args += ["enable_single_controller=true", "scan_layers=false",
             f"prometheus_port={metrics}"]
    return args
