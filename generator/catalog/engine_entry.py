"""An engine's entry of engines.yaml, typed (catalog/typed.py reads it once at load). What
an engine lacks is None (or empty), as the YAML leaves the key out; schema.json lists the
same keys, and a test keeps the two in step."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.catalog.typed import typed

Strings = Mapping[str, str]


@dataclass(frozen=True)
class Metrics:
    port: int
    path: str


@dataclass(frozen=True)
class LoadSignal:
    """A `scaling.metric` value, as the engine's own Prometheus metric."""

    metric: str
    type: str
    target: float | None = None  # the default per-pod target; a custom engine's have none


@dataclass(frozen=True)
class LatencyAlert:
    histogram: str
    measures: str
    seconds: float
    buckets: tuple[str, ...] | None = None  # its `le` boundaries as exported, where fixed

    def boundary(self, seconds: float) -> str | None:
        """The bucket boundary equal to `seconds`, as the engine exports it (`le`)."""
        return next((b for b in self.buckets or () if float(b) == seconds), None)


@dataclass(frozen=True)
class ErrorAlert:
    failed: str
    total: str
    failed_match: str | None = None


@dataclass(frozen=True)
class Alerts:
    latency: LatencyAlert | None = None
    errors: ErrorAlert | None = None


@dataclass(frozen=True)
class Exported:
    """A series the engine exports, with the labels infergen may select it by."""

    labels: tuple[str, ...]
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # label -> values
    histogram: bool = False  # exported as <name>_bucket{le}, _count and _sum


@dataclass(frozen=True)
class Exports:
    """What the engine's release (its contract's `version`) exports, read from its source."""

    version: str
    metrics: Mapping[str, Exported]


@dataclass(frozen=True)
class LogSignal:
    """A fatal line in the engine's log: a log-based metric counts it."""

    reason: str
    match: str  # a substring of the line
    source: str  # where the engine (or its runtime) prints it


@dataclass(frozen=True)
class Frontend:
    """A container in front of the engine (JetStream's HTTP server)."""

    name: str
    image: str
    resources: Strings


@dataclass(frozen=True)
class PathwaysPart:
    """A Pathways on Cloud container: its image and the port it serves."""

    image: str
    port: int


@dataclass(frozen=True)
class Pathways:
    """Pathways beside a JAX client that drives a whole multi-host TPU slice (JetStream with
    MaxText): the leader's proxy and resource manager, and a server on every TPU host."""

    proxy: PathwaysPart
    resource_manager: PathwaysPart
    worker: PathwaysPart
    instance_types: Strings  # catalog TPU name -> Pathways' TPU version (--instance_type)
    leader_resources: Mapping[str, Strings]  # proxy, resourceManager, server -> cpu, memory


@dataclass(frozen=True)
class ServedName:
    """The engine's option for the name it serves the model under (model.servedName)."""

    flag: str
    many: bool  # it takes several names


@dataclass(frozen=True)
class DynamicAdapters:
    """How the engine loads LoRA adapters at run time (model.adapters[].loading: dynamic)."""

    env: Strings  # enables its runtime LoRA API
    max_loras: int  # adapters in one batch, fixed so that a new adapter never restarts it


@dataclass(frozen=True)
class MultiHostArgs:
    """The engine's own flags that join the pods of a multi-host group (LeaderWorkerSet):
    added after its other arguments, on the leader and on every worker."""

    leader: tuple[str, ...]
    worker: tuple[str, ...]


@dataclass(frozen=True)
class Variant:
    """What differs on an accelerator kind (gpu, tpu, none) or on one accelerator."""

    image: str | None = None
    command: tuple[str, ...] | None = None
    env: Strings | None = None
    default_dtype: str | None = None
    contract: str | None = None  # catalog/contracts/<contract>.yaml: this variant's release


@dataclass(frozen=True)
class Engine:
    description: str
    accelerators: tuple[str, ...]  # gpu, tpu, none
    port: int
    health_path: str
    metrics: Metrics | None  # None: the engine serves no metrics (no_metrics says why)
    gke_server_label: str
    cache_dir: str
    sources: tuple[str, ...]  # hf, gs, oci
    adapters: bool
    tensor_parallel: bool
    alerts: Alerts
    writable_paths: tuple[str, ...]
    load_signals: Mapping[str, LoadSignal]  # scaling.metric -> the engine's metric
    dtype_args: Mapping[str, tuple[str, ...]]  # spec dtype -> its flags or env settings
    owns: Strings = field(default_factory=dict)  # derived flag or env -> the spec field
    # of `owns`: infergen's only when this spec's render derives them (elsewhere no field
    # expresses them, so the user's value passes: issue 20)
    user_unless_derived: tuple[str, ...] = ()
    # of `owns`: the flag naming a pre-quantized checkpoint's method (AWQ, bitsandbytes...),
    # which no field names: the user's under model.preQuantized, where infergen renders none
    checkpoint_method: str | None = None
    # derived env that is only infergen's default (no field sets another value): the user's
    # value replaces it, and the render drops the derived one
    user_may_replace: tuple[str, ...] = ()
    # derived env whose value is the largest the spec allows: a lower number is the user's,
    # and replaces it as above; a higher one stays an error naming the field
    user_may_lower: tuple[str, ...] = ()
    image: str | None = None
    command: tuple[str, ...] | None = None
    env: Strings | None = None  # from a variant only
    variants: Mapping[str, Variant] = field(default_factory=dict)
    readiness_path: str | None = None
    extra_ports: Mapping[str, int] | None = None
    frontend: Frontend | None = None
    no_metrics: str | None = None
    endpoint_picker_metrics: Strings | None = None
    contract: str | None = None  # catalog/contracts/<contract>.yaml when not the engine's own
    multi_host_args: Mapping[str, MultiHostArgs] | None = None  # accelerator kind -> flags
    multi_host_unsupported: Strings | None = None  # accelerator kind -> why not
    token_env: str | None = None
    token_file: str | None = None
    token_file_name: str | None = None
    cache_env: Strings | None = None
    gpu_memory_percent: int | None = None
    gpu_sharing: bool | None = None  # False: refuses a shared GPU
    heads_split: bool | None = None
    checkpoint_quantization: bool | None = None
    online_quantization: tuple[str, ...] | None = None
    model_dir_layout: str | None = None
    default_dtype: str | None = None
    cpu_resources: Strings | None = None
    source_hint: str | None = None  # how to get a source the engine loads, when refused
    pathways: Pathways | None = None  # set: one replica spans a multi-host TPU slice only
    exports: Exports | None = None
    log_signals: tuple[LogSignal, ...] = ()
    served_name: ServedName | None = None  # None: the engine has no such option
    parallelism: Strings | None = None  # tensor, pipeline, data -> the option that sets it
    dynamic_adapters: DynamicAdapters | None = None

    @property
    def served_metrics(self) -> Metrics:
        """Its metrics endpoint, where the caller knows it serves one."""
        assert self.metrics is not None, "an engine that serves metrics"
        return self.metrics

    def with_variant(self, variant: Variant) -> Engine:
        """This engine with what `variant` sets."""
        changes = {f.name: getattr(variant, f.name) for f in dataclasses.fields(variant)
                   if getattr(variant, f.name) is not None}
        return dataclasses.replace(self, **changes) if changes else self


def engine(data: Mapping[str, Any]) -> Engine:
    found: Engine = typed(Engine, data)
    return found
