"""gke.yaml, typed: one frozen dataclass per section, built once when the catalog loads, so
a misspelt fact fails `make typecheck` rather than a render. Field names are the YAML keys
in snake case (`key` metadata where the YAML spells one otherwise); schema.json closes the
same keys, and a test keeps the two in step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.catalog.typed import typed

Strings = Mapping[str, str]


@dataclass(frozen=True)
class Labels:
    """Node and pod label keys GKE (or NVIDIA's feature discovery) defines."""

    gpu_accelerator: str
    gpu_product: str  # portable target: NVIDIA GPU feature discovery
    gpu_sharing_strategy: str
    gpu_max_shared_clients: str
    gpu_partition_size: str
    gpu_driver_version: str
    tpu_accelerator: str
    tpu_topology: str
    compute_class: str
    node_pool: str
    model: str
    inference_server: str

    def accelerator_keys(self) -> tuple[str, ...]:
        """The node labels that select an accelerator (gpu* and tpu* keys)."""
        return (self.gpu_accelerator, self.gpu_product, self.gpu_sharing_strategy,
                self.gpu_max_shared_clients, self.gpu_partition_size, self.gpu_driver_version,
                self.tpu_accelerator, self.tpu_topology)


@dataclass(frozen=True)
class GpuSharing:
    node_label: str
    compute_class: str


@dataclass(frozen=True)
class Provisioning:
    node_selector: Strings
    tolerations: tuple[Strings, ...]


@dataclass(frozen=True)
class ComputeClassDefaults:
    driver_version: str
    flex_start_max_run_duration_seconds: int
    flex_start_node_recycling_lead_time_seconds: int
    when_unsatisfiable: str
    cpu_machine_family: str


@dataclass(frozen=True)
class Annotations:
    safe_to_evict: Strings


@dataclass(frozen=True)
class Tier:
    """A slice of a machine's capacity and the fraction of it GKE reserves."""

    up_to: float | None
    fraction: float


@dataclass(frozen=True)
class NodeReserved:
    cpu_cores: tuple[Tier, ...]
    memory_gib: tuple[Tier, ...] = field(metadata={"key": "memoryGiB"})
    eviction_mib: float = field(metadata={"key": "evictionMiB"})
    daemon_set_cpu: float
    daemon_set_memory_gib: float = field(metadata={"key": "daemonSetMemoryGiB"})


@dataclass(frozen=True)
class FileCache:
    """How a bucket's file cache is sized from the model (plan/file_cache.py)."""

    size_option: str
    unbounded: int
    request_annotation: str
    headroom: float
    minimum_mib: int = field(metadata={"key": "minimumMiB"})
    slack_mib: int = field(metadata={"key": "slackMiB"})
    adapter_mib: int = field(metadata={"key": "adapterMiB"})
    unquantized_checkpoint_bytes: int


@dataclass(frozen=True)
class ModelCache:
    """How the download disk of a model is sized and claimed (plan/model_cache.py)."""

    headroom: float
    slack_gib: int = field(metadata={"key": "slackGiB"})
    access_modes: tuple[str, ...]


@dataclass(frozen=True)
class GcsFuse:
    driver: str
    mount_path: str
    pod_annotations: Strings
    mount_options: tuple[str, ...]
    cache_volume: str
    file_cache: FileCache


@dataclass(frozen=True)
class MetricsSource:
    """The picker config's plugin that scrapes each pod's metrics."""

    type: str
    scheme: str
    insecure_skip_verify: bool


@dataclass(frozen=True)
class EndpointPicker:
    image: str
    health_port: int
    health_service: str
    termination_grace_period_seconds: int
    metrics_port: int
    resources: Strings
    probe: Mapping[str, int]
    reads: Mapping[str, tuple[str, ...]]  # API group -> resources, besides pods and its pool
    plugins: Mapping[str, int]  # scorer -> weight
    flags: tuple[str, ...]
    metrics_source: MetricsSource
    metrics_extractor: str
    deprecated_flags: tuple[str, ...]  # v1.5.0 exits when one is set


@dataclass(frozen=True)
class InferenceGateway:
    endpoint_picker_port: int
    endpoint_picker_suffix: str
    failure_mode: str
    backend_timeout_sec: int
    model_header: str
    endpoint_picker: EndpointPicker


@dataclass(frozen=True)
class LoraSyncer:
    """The Gateway API Inference Extension's LoRA syncer sidecar (objects/lora_syncer.py)."""

    name: str
    image: str
    config_env: str
    config_dir: str
    config_key: str
    config_root: str
    resources: Strings


@dataclass(frozen=True)
class DcgmExporter:
    namespace: str
    selector: Strings
    port: str
    path: str


@dataclass(frozen=True)
class DcgmPodLabels:
    namespace: str
    container: str


@dataclass(frozen=True)
class Dcgm:
    exporter: DcgmExporter
    interval: str
    metric: str
    renamed: str
    type: str
    target_percent: float
    pod_labels: DcgmPodLabels


@dataclass(frozen=True)
class RepoSync:
    name: str
    reconciler_prefix: str
    max_name_and_namespace: int


@dataclass(frozen=True)
class ConfigSync:
    namespace: str
    default_secret: str
    cluster_name_selector: str
    max_objects_per_root: int
    root_fill_ratio: float
    unmanaged_annotation: Strings
    deletion_propagation_annotation: Strings
    marker_namespace: str
    repo_sync: RepoSync
    tenant_kinds: Mapping[str, tuple[str, ...]]  # kind -> (API group, resource)
    tenant_verbs: tuple[str, ...]
    tenant_reads: Mapping[str, tuple[str, ...]]
    tenant_read_verbs: tuple[str, ...]


@dataclass(frozen=True)
class PodSecurity:
    uid: int
    user_name: str
    gid: int
    home: str
    root_for: tuple[str, ...]  # accelerator kinds whose devices only root may open


@dataclass(frozen=True)
class NetworkPolicy:
    metrics_namespace: str
    health_check_ranges: tuple[str, ...]


@dataclass(frozen=True)
class Gke:
    """gke.yaml: GKE's label keys, taints, annotations and add-on facts."""

    labels: Labels
    resources: Strings  # accelerator kind -> extended resource
    tolerations: Mapping[str, Strings]  # accelerator kind -> toleration
    gpu_sharing: Mapping[str, GpuSharing]  # strategy -> its values
    provisioning: Mapping[str, Provisioning]  # provisioning model -> how a pod asks for it
    reservation_name_label: str
    compute_class: ComputeClassDefaults
    annotations: Annotations
    node_reserved: NodeReserved
    gcs_fuse: GcsFuse
    workload_identity_annotation: str
    exclusive_topology_annotation: str
    leader_address: str
    custom_metric_name: str
    image_model_path: str
    claim_model_path: str
    model_cache: ModelCache
    inference_gateway: InferenceGateway
    lora_syncer: LoraSyncer
    dcgm: Dcgm
    config_sync: ConfigSync
    pod_security: PodSecurity
    network_policy: NetworkPolicy


def gke(data: Mapping[str, Any]) -> Gke:
    found: Gke = typed(Gke, data)
    return found
