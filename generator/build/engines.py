"""The engine container: one small argument builder per engine, the rest from the catalog."""

from __future__ import annotations

import math
import shlex
from collections.abc import Callable
from typing import Any

from generator.accelerators import Shape
from generator.build.probes import probes
from generator.build.resources import requests
from generator.catalog import Catalog
from generator.model_source import parse_hf

PORT_NAME = "http"
CONTAINER_NAME = "inference-server"
CACHE_VOLUME = "model-cache"
SHM_VOLUME = "dshm"


def vllm_args(spec: dict[str, Any], shape: Shape, engine: dict[str, Any]) -> list[str]:
    model = spec["model"]
    hf = parse_hf(model["source"])
    assert hf is not None, "checked before build"
    args = [f"--model={hf.repo}"]
    if hf.revision:
        args.append(f"--revision={hf.revision}")
    if shape.kind == "tpu":  # one tensor-parallel group over every chip of the slice
        args.append(f"--tensor-parallel-size={shape.devices * shape.hosts}")
    else:  # tensor parallel inside a node, pipeline parallel across the group's nodes
        args.append(f"--tensor-parallel-size={max(shape.devices, 1)}")
        if shape.multi_host:
            args.append(f"--pipeline-parallel-size={shape.hosts}")
    args += ["--host=0.0.0.0", f"--port={engine['port']}"]
    if "maxModelLength" in model:
        args.append(f"--max-model-len={model['maxModelLength']}")
    args += engine["dtypeArgs"][model["dtype"]]
    if shape.share < 1 and spec["accelerator"]["sharing"]["strategy"] != "mig":
        # vLLM takes 90% of the GPU's memory by default; a time-shared or MPS client sees
        # the whole GPU, so it must keep to its own share or the next client fails.
        args.append(f"--gpu-memory-utilization={math.floor(90 * shape.share) / 100:.2f}")
    return args


ArgumentBuilder = Callable[[dict[str, Any], Shape, dict[str, Any]], list[str]]
ARGUMENT_BUILDERS: dict[str, ArgumentBuilder] = {
    "vllm": vllm_args,
}


def _token_env(spec: dict[str, Any], engine: dict[str, Any]) -> list[dict[str, Any]]:
    secret = spec["model"].get("tokenSecret")
    if secret is None:
        return []
    ref = {"name": secret, "key": "token"} if isinstance(secret, str) else \
        {"name": secret["name"], "key": secret.get("key", "token")}
    return [{"name": engine["tokenEnv"], "valueFrom": {"secretKeyRef": ref}}]


def _launch(command: list[str], args: list[str], shape: Shape, engine: dict[str, Any],
            role: str | None) -> dict[str, list[str]]:
    """command and args; in a multi-host group the leader first forms a Ray cluster of the
    group's pods, then starts the server, and each worker joins the cluster and waits."""
    if role is None:
        return {"command": command, "args": args}
    script = engine["multiHostScript"][shape.kind]
    if role == "worker":
        line = f"bash {script} worker --ray_address=$(LWS_LEADER_ADDRESS)"
    else:
        serve = shlex.join([*command, *args])
        line = f"bash {script} leader --ray_cluster_size=$(LWS_GROUP_SIZE) && exec {serve}"
    return {"command": ["sh", "-c", line]}


def container(spec: dict[str, Any], shape: Shape, catalog: Catalog,
              role: str | None = None) -> dict[str, Any]:
    """The engine container; `role` is leader or worker in a multi-host group."""
    name = spec["server"]["engine"]
    engine = catalog.engine(name, shape.kind)
    env = [{"name": "HF_HOME", "value": f"{engine['cacheDir']}/huggingface"}]
    env += [{"name": k, "value": v} for k, v in sorted(engine.get("env", {}).items())]
    env += _token_env(spec, engine)
    env += [{"name": k, "value": v} for k, v in sorted(spec["server"].get("env", {}).items())]
    resources: dict[str, str | int] = dict(requests(spec, shape, catalog))
    if shape.kind in ("gpu", "tpu"):
        resources[catalog.gke["resources"][shape.kind]] = shape.devices
    args = ARGUMENT_BUILDERS[name](spec, shape, engine) + list(spec["server"].get("args", []))
    serving = role != "worker"  # workers only lend their accelerators to the leader
    return {
        "name": CONTAINER_NAME,
        "image": spec["server"]["image"],
        **_launch(list(engine["command"]), args, shape, engine, role),
        "env": env,
        **({"ports": [{"name": PORT_NAME, "containerPort": engine["port"], "protocol": "TCP"}]}
           if serving else {}),
        # Guaranteed QoS: requests equal limits, so the kubelet evicts these pods last.
        "resources": {"requests": dict(resources), "limits": dict(resources)},
        **(probes(spec, catalog, PORT_NAME, engine["healthPath"]) if serving else {}),
        "volumeMounts": [{"name": SHM_VOLUME, "mountPath": "/dev/shm"},
                         {"name": CACHE_VOLUME, "mountPath": engine["cacheDir"]}],
        "securityContext": {"allowPrivilegeEscalation": False},
    }


def volumes() -> list[dict[str, Any]]:
    # NCCL and PyTorch workers exchange tensors through /dev/shm; the container default
    # of 64 MiB is far too small for tensor parallelism.
    return [{"name": SHM_VOLUME, "emptyDir": {"medium": "Memory"}},
            {"name": CACHE_VOLUME, "emptyDir": {}}]
