"""The engine container: one small launch function per engine, the rest from the catalog.

A launch function turns the spec into the engine's own arguments and environment; this
module adds what every engine shares (image, ports, probes, token, cache, resources).
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from generator import model_source
from generator.accelerators import Shape
from generator.build import storage
from generator.build.probes import probes
from generator.build.resources import requests
from generator.catalog import Catalog

PORT_NAME = "http"
CONTAINER_NAME = "inference-server"


@dataclass(frozen=True)
class Context:
    """What a launch function may read."""

    spec: dict[str, Any]
    shape: Shape
    engine: dict[str, Any]  # catalog facts, with the accelerator's variant applied
    catalog: Catalog

    @property
    def source(self) -> model_source.Source:
        parsed = model_source.parse(self.spec["model"]["source"])
        assert parsed is not None, "checked before build"
        return parsed

    @property
    def model_path(self) -> str | None:
        return storage.model_path(self.spec, self.catalog)

    @property
    def devices(self) -> int:
        """Accelerators of one replica, across all its hosts."""
        return max(self.shape.devices, 1) * self.shape.hosts

    def dtype_options(self) -> list[str]:
        return list(self.engine["dtypeArgs"][self.spec["model"]["dtype"]])


@dataclass
class Launch:
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def vllm(ctx: Context) -> Launch:
    model = ctx.spec["model"]
    source = ctx.source
    if isinstance(source, model_source.HuggingFace):
        args = [f"--model={source.repo}"]
        if source.revision:
            args.append(f"--revision={source.revision}")
    else:  # a mounted bucket or weights in the image: a local path, named for clients
        args = [f"--model={ctx.model_path}", f"--served-model-name={source.name}"]
    if ctx.shape.kind == "tpu":  # one tensor-parallel group over every chip of the slice
        args.append(f"--tensor-parallel-size={ctx.devices}")
    else:  # tensor parallel inside a node, pipeline parallel across the group's nodes
        args.append(f"--tensor-parallel-size={max(ctx.shape.devices, 1)}")
        if ctx.shape.multi_host:
            args.append(f"--pipeline-parallel-size={ctx.shape.hosts}")
    args += ["--host=0.0.0.0", f"--port={ctx.engine['port']}"]
    if "maxModelLength" in model:
        args.append(f"--max-model-len={model['maxModelLength']}")
    args += ctx.dtype_options()
    sharing = ctx.spec["accelerator"].get("sharing") or {}
    if ctx.shape.share < 1 and sharing.get("strategy") != "mig":
        # vLLM takes 90% of the GPU's memory by default; a time-shared or MPS client sees
        # the whole GPU, so it must keep to its own share or the next client fails.
        args.append(f"--gpu-memory-utilization={math.floor(90 * ctx.shape.share) / 100:.2f}")
    adapters = model.get("adapters", [])
    if adapters:
        args += ["--enable-lora", f"--max-loras={len(adapters)}", "--lora-modules"]
        args += [f"{a['name']}={storage.adapter_location(a)}" for a in adapters]
    return Launch(args)


LAUNCHERS: dict[str, Callable[[Context], Launch]] = {
    "vllm": vllm,
}


def _token_env(spec: dict[str, Any], engine: dict[str, Any]) -> list[dict[str, Any]]:
    secret = spec["model"].get("tokenSecret")
    if secret is None:
        return []
    ref = {"name": secret, "key": "token"} if isinstance(secret, str) else \
        {"name": secret["name"], "key": secret.get("key", "token")}
    return [{"name": engine["tokenEnv"], "valueFrom": {"secretKeyRef": ref}}]


def _multi_host(command: list[str], args: list[str], ctx: Context,
                role: str) -> dict[str, list[str]]:
    """In a multi-host group the leader first forms a Ray cluster of the group's pods,
    then starts the server; each worker joins the cluster and waits."""
    script = ctx.engine["multiHostScript"][ctx.shape.kind]
    if role == "worker":
        line = f"bash {script} worker --ray_address=$(LWS_LEADER_ADDRESS)"
    else:
        serve = shlex.join([*command, *args])
        line = f"bash {script} leader --ray_cluster_size=$(LWS_GROUP_SIZE) && exec {serve}"
    return {"command": ["sh", "-c", line]}


def _ports(engine: dict[str, Any]) -> list[dict[str, Any]]:
    ports = [{"name": PORT_NAME, "containerPort": engine["port"], "protocol": "TCP"}]
    ports += [{"name": name, "containerPort": number, "protocol": "TCP"}
              for name, number in sorted(engine.get("extraPorts", {}).items())]
    return ports


def container(spec: dict[str, Any], shape: Shape, catalog: Catalog,
              role: str | None = None) -> dict[str, Any]:
    """The engine container; `role` is leader or worker in a multi-host group."""
    name = spec["server"]["engine"]
    engine = catalog.engine(name, shape.kind)
    ctx = Context(spec, shape, engine, catalog)
    launch = LAUNCHERS[name](ctx)
    env = [{"name": k, "value": v} for k, v in sorted(engine.get("cacheEnv", {}).items())]
    env += [{"name": k, "value": v} for k, v in sorted(engine.get("env", {}).items())]
    env += [{"name": k, "value": v} for k, v in sorted(launch.env.items())]
    env += _token_env(spec, engine)
    env += [{"name": k, "value": v} for k, v in sorted(spec["server"].get("env", {}).items())]
    resources: dict[str, str | int] = dict(requests(spec, shape, catalog))
    if shape.kind in ("gpu", "tpu"):
        resources[catalog.gke["resources"][shape.kind]] = shape.devices
    args = launch.args + list(spec["server"].get("args", []))
    command = list(engine.get("command", []))
    if role is not None:
        launch_fields = _multi_host(command, args, ctx, role)
    else:
        launch_fields = {**({"command": command} if command else {}),
                         **({"args": args} if args else {})}
    serving = role != "worker"  # workers only lend their accelerators to the leader
    return {
        "name": CONTAINER_NAME,
        "image": spec["server"]["image"],
        **launch_fields,
        **({"env": env} if env else {}),
        **({"ports": _ports(engine)} if serving else {}),
        # Guaranteed QoS: requests equal limits, so the kubelet evicts these pods last.
        "resources": {"requests": dict(resources), "limits": dict(resources)},
        **(probes(spec, catalog, PORT_NAME, engine) if serving else {}),
        "volumeMounts": storage.mounts(spec, catalog, engine["cacheDir"]),
        "securityContext": {"allowPrivilegeEscalation": False},
    }
