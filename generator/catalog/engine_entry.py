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
class Frontend:
    """A container in front of the engine (JetStream's HTTP server)."""

    name: str
    image: str
    resources: Strings


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
