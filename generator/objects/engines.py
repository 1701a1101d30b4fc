"""The engine container: one small launch function per engine, the rest from the catalog.

A launch function turns the spec into the engine's own arguments and environment; this
module adds what every engine shares (image, ports, probes, token, cache, resources).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from generator.catalog import Catalog
from generator.catalog.engine_contracts import ENGINE_CONTAINER, contract, read_args, same_value
from generator.catalog.engine_entry import Engine
from generator.objects import extra_volumes, security, storage
from generator.objects.probes import probes, startup_seconds
from generator.objects.resources import guaranteed, guaranteed_from
from generator.plan import maxtext, model_cache, model_source, parallelism
from generator.plan.engine import home_env, replaced_env
from generator.plan.facts import Facts
from generator.plan.records import Plan
from generator.plan.shape import Shape
from generator.plan.sizing import requests

PORT_NAME = "http"
CONTAINER_NAME = ENGINE_CONTAINER


@dataclass(frozen=True)
class Context:
    """What a launch function may read: the spec and the plan's facts (checked)."""

    spec: dict[str, Any]
    facts: Facts
    catalog: Catalog

    @property
    def shape(self) -> Shape:
        return self.facts.checked_shape

    @property
    def engine(self) -> Engine:
        """Catalog facts, with the accelerator's variant applied."""
        return self.facts.checked_engine

    @property
    def source(self) -> model_source.Source:
        return self.facts.checked_source

    @property
    def model_path(self) -> str | None:
        return storage.model_path(self.source, self.catalog)

    @property
    def devices(self) -> int:
        """Accelerators of one replica, across all its hosts."""
        return max(self.shape.devices, 1) * self.shape.hosts

    def memory_share(self) -> str | None:
        """The engine's memory fraction on a time-shared or MPS GPU, else None. Each engine
        takes a share of the GPU's memory (catalog gpuMemoryPercent); a time-shared or MPS
        client sees the whole GPU, so it must keep to its own share or the next client
        fails (MIG partitions the memory itself)."""
        sharing = self.spec["accelerator"].get("sharing") or {}
        if self.shape.share >= 1 or sharing.get("strategy") == "mig":
            return None
        assert self.engine.gpu_memory_percent is not None, "an engine on a shared GPU has it"
        percent = self.engine.gpu_memory_percent * self.shape.share
        return f"{math.floor(percent) / 100:.2f}"

    def dtype_options(self) -> list[str]:
        if self.spec["model"].get("preQuantized") and self.engine.checkpoint_quantization:
            return []  # the engine reads the checkpoint's own quantization config
        return list(self.engine.dtype_args[self.spec["model"]["dtype"]])


@dataclass
class Launch:
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def vllm(ctx: Context) -> Launch:
    model = ctx.spec["model"]
    args = _served_model_args(ctx, "--model")
    # by default one tensor-parallel group per node (a TPU slice's every chip) and, for a
    # group of GPU nodes, pipeline parallel across them (plan/parallelism.py)
    args += _parallel_args(ctx, always=("tensor",),
                           shown=("pipeline",) if ctx.shape.multi_host else ())
    args += ["--host=0.0.0.0", f"--port={ctx.engine.port}"]
    if "maxModelLength" in model:
        args.append(f"--max-model-len={model['maxModelLength']}")
    args += ctx.dtype_options()
    share = ctx.memory_share()
    if share is not None:
        args.append(f"--gpu-memory-utilization={share}")
    adapters = model.get("adapters", [])
    env: dict[str, str] = {}
    if adapters:
        static = [a for a in adapters if a.get("loading", "static") == "static"]
        runtime = ctx.engine.dynamic_adapters
        if len(static) < len(adapters) and runtime is not None:
            # loaded at run time by the LoRA syncer: the pod template names none of them
            env.update(runtime.env)
            args += ["--enable-lora", f"--max-loras={max(len(static), runtime.max_loras)}"]
        else:
            args += ["--enable-lora", f"--max-loras={len(adapters)}"]
        ranks = [a["rank"] for a in adapters if "rank" in a]
        if ranks:  # vLLM reserves rank 16 by default and fails on a larger adapter
            args.append(f"--max-lora-rank={max(ranks)}")
        if static:
            args.append("--lora-modules")
            args += [f"{a['name']}={storage.adapter_location(a)}" for a in static]
    return Launch(args, env)


def _parallel_args(ctx: Context, always: tuple[str, ...] = (),
                   shown: tuple[str, ...] = ()) -> list[str]:
    """The engine's flag for each kind of parallelism: those in `always` and `shown`, and
    any other larger than 1."""
    layout = parallelism.layout(ctx.spec, ctx.shape)
    options = ctx.engine.parallelism or {}
    return [f"{options[kind]}={layout.size(kind)}" for kind in parallelism.KINDS
            if kind in options and (kind in always or kind in shown or layout.size(kind) > 1)]


def _model_id(ctx: Context) -> tuple[str, str | None]:
    """What the engine is told to load (a Hugging Face repo or a local path), and the
    revision to pin."""
    source = ctx.source
    if isinstance(source, model_source.HuggingFace):
        return source.repo, source.revision
    path = ctx.model_path
    assert path is not None
    return path, None


def _model_args(ctx: Context, flag: str) -> list[str]:
    """`<flag>=<model>` and, for a pinned Hugging Face revision, `--revision=<revision>`."""
    model_id, revision = _model_id(ctx)
    return [f"{flag}={model_id}", *([f"--revision={revision}"] if revision else [])]


def _served_model_args(ctx: Context, flag: str, paths_named: bool = True) -> list[str]:
    """_model_args, and the name clients ask for: model.servedName, or (`paths_named`) for
    a local path its last folder (a Hugging Face repo is served under its id, the default)."""
    args = _model_args(ctx, flag)
    option = ctx.engine.served_name
    if option is None:
        return args
    names = model_source.served_names(ctx.spec, ctx.source)
    if "servedName" not in ctx.spec["model"] and (
            not paths_named or isinstance(ctx.source, model_source.HuggingFace)):
        return args
    if len(names) == 1:
        return [*args, f"{option.flag}={names[0]}"]
    return [*args, option.flag, *names]  # nargs "+": every name after the one flag


def _env_pairs(options: list[str]) -> dict[str, str]:
    return dict(option.split("=", 1) for option in options)


def tgi(ctx: Context) -> Launch:
    """TGI reads its settings from the environment."""
    model_id, revision = _model_id(ctx)
    shards = parallelism.layout(ctx.spec, ctx.shape).tensor
    env = {"MODEL_ID": model_id, "NUM_SHARD": str(shards), "PORT": str(ctx.engine.port)}
    if revision:
        env["REVISION"] = revision
    length = ctx.spec["model"].get("maxModelLength")
    if length:
        env["MAX_TOTAL_TOKENS"] = str(length)
        env["MAX_INPUT_TOKENS"] = str(max(length - 1, 1))
    env.update(_env_pairs(ctx.dtype_options()))
    share = ctx.memory_share()
    if share is not None:
        env["CUDA_MEMORY_FRACTION"] = share
    return Launch(env=env)


def triton(ctx: Context) -> Launch:
    """Triton serves a model repository: the mounted bucket, or the image's own."""
    ports = {**(ctx.engine.extra_ports or {}), "http": ctx.engine.port}
    return Launch([f"--model-repository={ctx.model_path}", f"--http-port={ports['http']}",
                   f"--grpc-port={ports['grpc']}", f"--metrics-port={ports['metrics']}"])


def jetstream(ctx: Context) -> Launch:
    """`jpt serve` at v0.2.4: no --prometheus_port (its CLI lacks it, and absl aborts on an
    unknown flag); Hugging Face weights are converted under --working_dir, which defaults to
    a relative path on the read-only root, so it goes to the cache emptyDir."""
    source = ctx.source
    if isinstance(source, model_source.CloudStorage):
        # a bucket laid out as jpt's own cache (ORG/NAME/hf_original): jpt skips the
        # download when hf_original is there, and reads the tokenizer from it
        args = [f"--model_id={model_source.repo_id(source)}", f"--working_dir={ctx.model_path}",
                "--internal_use_local_tokenizer=True"]
    else:
        model_id, _ = _model_id(ctx)
        args = [f"--model_id={model_id}", f"--working_dir={ctx.engine.cache_dir}"]
    length = ctx.spec["model"].get("maxModelLength")
    if length:
        args += [f"--max_input_length={max(length // 2, 1)}",
                 f"--max_output_length={max(length - length // 2, 1)}"]
    return Launch(args + ctx.dtype_options())


def jetstream_maxtext(ctx: Context) -> Launch:
    """A MaxText config file and its keys (plan/maxtext.py); Pathways reaches the slice."""
    return Launch(maxtext.server_args(ctx.spec, ctx.shape, ctx.engine))


def sglang(ctx: Context) -> Launch:
    args = _served_model_args(ctx, "--model-path")
    args += _parallel_args(ctx, always=("tensor",))
    args += ["--host=0.0.0.0", f"--port={ctx.engine.port}", "--enable-metrics"]
    if "maxModelLength" in ctx.spec["model"]:
        args.append(f"--context-length={ctx.spec['model']['maxModelLength']}")
    share = ctx.memory_share()
    if share is not None:
        args.append(f"--mem-fraction-static={share}")
    return Launch(args + ctx.dtype_options())


def tei(ctx: Context) -> Launch:
    args = _served_model_args(ctx, "--model-id", paths_named=False)
    args += [f"--port={ctx.engine.port}",
             f"--prometheus-port={ctx.engine.served_metrics.port}"]
    return Launch(args + ctx.dtype_options())


def custom(ctx: Context) -> Launch:
    """A custom image learns its model from the environment; its arguments are its own."""
    model_id, revision = _model_id(ctx)
    env = {"MODEL_ID": model_id, "MODEL_DTYPE": ctx.spec["model"]["dtype"],
           "PORT": str(ctx.engine.port)}
    if revision:
        env["MODEL_REVISION"] = revision
    return Launch(env=env)


LAUNCHERS: dict[str, Callable[[Context], Launch]] = {
    "vllm": vllm, "tgi": tgi, "triton": triton, "jetstream": jetstream, "sglang": sglang,
    "tei": tei, "custom": custom, "jetstream-maxtext": jetstream_maxtext,
}


def token_secret(spec: dict[str, Any]) -> dict[str, str] | None:
    """The Hugging Face token's Secret as {name, key}."""
    secret = spec["model"].get("tokenSecret")
    if secret is None:
        return None
    if isinstance(secret, str):
        return {"name": secret, "key": "token"}
    return {"name": secret["name"], "key": secret.get("key", "token")}


def _token_env(spec: dict[str, Any], engine: Engine) -> list[dict[str, Any]]:
    ref = token_secret(spec)
    if ref is None or engine.token_env is None:
        return []
    return [{"name": engine.token_env, "valueFrom": {"secretKeyRef": ref}}]


def _multi_host(command: list[str], args: list[str], ctx: Context,
                role: str) -> dict[str, list[str]]:
    """In a multi-host group every pod runs the same server, and the engine's own flags
    join them: the leader serves, each worker lends its accelerators to the leader's group
    (catalog multiHostArgs; the kubelet expands the LeaderWorkerSet's $(LWS_*) env)."""
    joins = (ctx.engine.multi_host_args or {})[ctx.shape.kind]
    return {"command": command, "args": [*args, *getattr(joins, role)]}


def _ports(engine: Engine) -> list[dict[str, Any]]:
    ports = [{"name": PORT_NAME, "containerPort": engine.port, "protocol": "TCP"}]
    ports += [{"name": name, "containerPort": number, "protocol": "TCP"}
              for name, number in sorted((engine.extra_ports or {}).items())]
    return ports


def containers(spec: dict[str, Any], facts: Facts, catalog: Catalog,
               role: str | None = None) -> list[dict[str, Any]]:
    """The engine container, and its HTTP front end for engines that have one."""
    engine = facts.checked_engine
    main = container(spec, facts, catalog, role)
    frontend = engine.frontend
    if frontend is None:
        return [main]
    # the front end takes the HTTP port and the probes; the engine keeps its own ports
    served: dict[str, Any] = {k: main.pop(k) for k in ("startupProbe", "readinessProbe",
                                                       "livenessProbe") if k in main}
    main["ports"] = [p for p in main.get("ports", []) if p["name"] != PORT_NAME]
    grpc = (engine.extra_ports or {}).get("grpc")
    if grpc is not None:  # the engine itself is alive while its gRPC port answers
        check = {"tcpSocket": {"port": grpc}}
        main["readinessProbe"] = {**check, **catalog.probes.readiness}
        main["livenessProbe"] = {**check, **catalog.probes.liveness,
                                 "initialDelaySeconds": startup_seconds(spec, catalog)}
    return [main, {
        "name": frontend.name, "image": frontend.image,
        "ports": [{"name": PORT_NAME, "containerPort": engine.port, "protocol": "TCP"}],
        "resources": guaranteed_from(dict(frontend.resources)),
        **served,
        "securityContext": security.container_context(),
        "volumeMounts": security.mounts(None, catalog),
    }]


def _env_var(name: str, value: str | dict[str, Any]) -> dict[str, Any]:
    """A server.env entry: a literal, or a Secret's key (never its value: specs are in Git)."""
    if isinstance(value, str):
        return {"name": name, "value": value}
    ref = value["secretKeyRef"]
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": ref["name"], "key": ref["key"]}}}


def _user_env(spec: dict[str, Any], engine: Engine,
              rendered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """server.env, after what infergen renders. A variable that only repeats a rendered
    setting (under its own name or an alias, with the same value: the check step warns that
    it is redundant) is left out, so the pod carries one name per setting."""
    terms = contract(engine.contract or spec["server"]["engine"])
    key = terms.key if terms is not None else (lambda name: name)
    mine = {key(e["name"]): e["value"] for e in rendered if "value" in e}
    return [_env_var(name, value) for name, value in sorted(spec["server"].get("env", {}).items())
            if not (isinstance(value, str) and key(name) in mine
                    and same_value(value, mine[key(name)]))]


def _not_repeated(derived: list[str], given: list[str], engine: str) -> list[str]:
    """The user's arguments without those that repeat a derived setting with the same value
    (a clap engine exits on a repeat; checks.contracts warned "redundant, remove it")."""
    terms = contract(engine)
    if terms is None:
        return given
    mine = {terms.key(g.text): g.value for g in read_args(terms, derived) if g.option}
    read = read_args(terms, given)
    dropped: set[int] = set()
    for position, one in enumerate(read):
        key = terms.key(one.text)
        if one.option is not None and one.problem is None and key in mine \
                and same_value(one.value, mine[key]):
            end = read[position + 1].index if position + 1 < len(read) else len(given)
            dropped.update(range(one.index, end))
    return [arg for index, arg in enumerate(given) if index not in dropped]


def container(spec: dict[str, Any], facts: Facts, catalog: Catalog,
              role: str | None = None) -> dict[str, Any]:
    """The engine container; `role` is leader or worker in a multi-host group."""
    name = spec["server"]["engine"]
    shape, engine = facts.checked_shape, facts.checked_engine
    ctx = Context(spec, facts, catalog)
    launch = LAUNCHERS[name](ctx)
    env = home_env(catalog)
    env += [{"name": k, "value": v} for k, v in sorted((engine.cache_env or {}).items())]
    env += [{"name": k, "value": v} for k, v in sorted((engine.env or {}).items())]
    env += [{"name": k, "value": v} for k, v in sorted(launch.env.items())]
    env += _token_env(spec, engine)
    # a default the user's server.env replaces (catalog userMayReplace/userMayLower) is left
    # out: the engine gets one value (TGI exits on both names of one setting)
    terms = contract(engine.contract or name)
    replaced = set(replaced_env(spec, engine, {e["name"]: e["value"] for e in env
                                               if "value" in e},
                                terms.key if terms is not None else (lambda n: n)).values())
    env = [e for e in env if e["name"] not in replaced]
    # a user's variable equal to a derived one (under any of its names) is rendered once
    # (checks.contracts warned "redundant, remove it")
    env += _user_env(spec, engine, env)
    resources: dict[str, str | int] = dict(requests(spec, shape, catalog,
                                                    dict(engine.cpu_resources or {})))
    if shape.kind in ("gpu", "tpu"):
        resources[catalog.gke.resources[shape.kind]] = shape.devices
    disk = model_cache.ephemeral_storage(spec, facts.source, catalog)
    if disk is not None:  # the scheduler picks a node with the disk for the download
        resources["ephemeral-storage"] = disk
    args = launch.args + _not_repeated(launch.args, list(spec["server"].get("args", [])),
                                       engine.contract or name)
    command = list(engine.command or [])
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
        "resources": guaranteed(resources),
        **(probes(spec, catalog, PORT_NAME, engine) if serving else {}),
        "volumeMounts": storage.mounts(spec, facts.source, catalog, engine)
        + security.mounts(engine, catalog) + extra_volumes.mounts(spec),
        "securityContext": security.container_context(spec),
    }


def derived_settings(plan: Plan, catalog: Catalog) -> tuple[list[str], dict[str, str]]:
    """The arguments and env (by name) infergen renders into the engine container, without
    the user's own server.args and server.env: what checks.contracts guards. A multi-host
    group's are its leader's; the workers' --headless is left out, so a user's --headless
    (which would stop the leader serving too) is refused as owned, never merely redundant."""
    server = {k: v for k, v in plan.spec["server"].items() if k not in ("args", "env")}
    shape, joins = plan.facts.checked_shape, plan.facts.checked_engine.multi_host_args or {}
    role = "leader" if shape.multi_host and shape.kind in joins else None
    main = container({**plan.spec, "server": server}, plan.facts, catalog, role)
    return list(main.get("args", [])), {e["name"]: str(e.get("value", ""))
                                        for e in main.get("env", [])}
