"""Facts as data: accelerators, engines, GKE keys and Kubernetes API facts, read from the
YAML files beside this module (schema.json describes them; a test checks them against it).
Code asks the catalog; it never repeats a fact."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal, cast

import yaml

from generator.catalog.defaults import Alerting, Autoscaling, Probes
from generator.catalog.engine_entry import Engine
from generator.catalog.engine_entry import engine as _engine
from generator.catalog.gke import Gke
from generator.catalog.gke import gke as _gke
from generator.catalog.observability import Observability
from generator.catalog.tpu import Tpu
from generator.catalog.typed import typed


@dataclass(frozen=True)
class Machine:
    type: str
    gpus: int
    vcpus: int
    memory_gb: float


@dataclass(frozen=True)
class Gpu:
    name: str
    description: str
    memory_gb: float
    gfd_product: str
    bfloat16: bool
    machines: tuple[Machine, ...]
    mig_profiles: dict[str, int]
    architecture: str = "amd64"  # the CPU of the machines: images must be built for it

    @property
    def counts(self) -> list[int]:
        """GPU counts a single node offers, so the only values `accelerator.count` may take."""
        return sorted({m.gpus for m in self.machines})

    def machines_for(self, count: int) -> list[Machine]:
        """The machines carrying `count` of these GPUs, smallest first."""
        return sorted((m for m in self.machines if m.gpus == count),
                      key=lambda m: (m.vcpus, m.memory_gb))

    def smallest_machine(self, count: int) -> Machine | None:
        return next(iter(self.machines_for(count)), None)


GroupKind = tuple[str, str]  # ("" for the core group, kind)
When = Literal["set", "other-than", "tpu", "gcs", "signal"]


@dataclass(frozen=True)
class GkeOnly:
    """A spec field only GKE serves, and which of its values need GKE (kubernetes.yaml)."""

    path: tuple[str, ...]
    when: When
    feature: str  # "{value}" is the field's value, joined with ", " when a list
    default: tuple[str, ...] = ()  # other-than: the portable value
    signal: str = ""  # signal: the scaling signal that needs GKE


@dataclass(frozen=True)
class Kubernetes:
    """kubernetes.yaml: what the API and Config Sync say about the kinds infergen writes."""

    api_versions: Mapping[str, str]  # kind -> apiVersion
    cluster_scoped: frozenset[GroupKind]
    label_named: frozenset[GroupKind]  # names are DNS-1123 labels, not subdomains
    reserved_prefixes: tuple[str, ...]  # Config Sync's label and annotation prefixes
    allowed_annotations: frozenset[str]  # ... that it accepts nonetheless
    reserved_namespaces: frozenset[str]  # Config Sync's own: no root may declare one
    gke_only: tuple[GkeOnly, ...]  # spec fields a plain Kubernetes target refuses

    def api(self, kind: str) -> str:
        """The apiVersion infergen writes `kind` with."""
        return self.api_versions[kind]


@dataclass(frozen=True)
class Catalog:
    gpus: dict[str, Gpu]
    tpus: dict[str, Tpu]
    engines: dict[str, Engine]  # typed (catalog/engine_entry.py)
    gke: Gke  # typed (catalog/gke.py)
    probes: Probes
    autoscaling: Autoscaling
    dtype_bytes: dict[str, float]
    alerting: Alerting
    kubernetes: Kubernetes
    observability: Observability  # typed (catalog/observability.py)

    def engine(self, name: str, accelerator: str) -> Engine:
        """An engine's facts, with what differs on this kind of accelerator (gpu, tpu,
        none), then on this accelerator itself, applied."""
        found = self.engines[name]
        for key in (self.accelerator_kind(accelerator), accelerator):
            if key in found.variants:
                found = found.with_variant(found.variants[key])
        return found

    def accelerator_kind(self, name: str) -> str:
        """gpu, tpu or none."""
        if name in self.gpus:
            return "gpu"
        if name in self.tpus:
            return "tpu"
        return "none"


def read_data(name: str) -> Any:
    """A data file of the catalog (`name` relative to this package), as plain data; None
    when there is no such file."""
    path = resources.files(__name__).joinpath(name)
    if not path.is_file():
        return None
    return yaml.load(path.read_text(encoding="utf-8"),
                     Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _gpu(name: str, row: dict[str, Any]) -> Gpu:
    machines = tuple(Machine(m["type"], m["gpus"], m["vcpus"], m["memoryGB"])
                     for m in row["machines"])
    return Gpu(name, row["description"], row["memoryGB"], row["gfdProduct"], row["bfloat16"],
               machines, dict(row.get("migProfiles") or {}),
               row.get("architecture", "amd64"))


def _group_kinds(rows: list[dict[str, str]]) -> frozenset[GroupKind]:
    return frozenset((row["group"], row["kind"]) for row in rows)


def _kubernetes(data: dict[str, Any]) -> Kubernetes:
    sync = data["configSync"]
    gke_only = tuple(GkeOnly(tuple(row["path"].split(".")), cast(When, row["when"]),
                             row["feature"], tuple(row.get("default", ())),
                             row.get("signal", "")) for row in data["gkeOnly"])
    return Kubernetes(dict(data["apiVersions"]), _group_kinds(data["clusterScoped"]),
                      _group_kinds(data["labelNamed"]), tuple(sync["reservedPrefixes"]),
                      frozenset(sync["allowedAnnotations"]),
                      frozenset(sync["reservedNamespaces"]), gke_only)


@cache
def load() -> Catalog:
    accelerators = read_data("accelerators.yaml")
    engines = read_data("engines.yaml")
    return Catalog(
        gpus={name: _gpu(name, row) for name, row in accelerators["gpus"].items()},
        tpus={name: typed(Tpu, row) for name, row in accelerators["tpus"].items()},
        engines={name: _engine(row) for name, row in engines["engines"].items()},
        gke=_gke(read_data("gke.yaml")),
        probes=typed(Probes, engines["probes"]),
        autoscaling=typed(Autoscaling, engines["autoscaling"]),
        dtype_bytes=engines["dtypeBytes"],
        alerting=typed(Alerting, engines["alerting"]),
        kubernetes=_kubernetes(read_data("kubernetes.yaml")),
        observability=typed(Observability, read_data("observability.yaml")),
    )
