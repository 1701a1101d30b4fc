"""The resolved inputs the build step works from: a Platform and one Plan per
(model, environment). Plans remember where each value was written, so a rule that fails on
a merged value can still point at the exact line that set it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.diagnostics import Location
from generator.plan.facts import Facts
from generator.spec.load import Source
from generator.spec.yamlio import Document, Path


@dataclass(frozen=True)
class Layer:
    """A partial spec and where it sits in its document."""

    data: dict[str, Any]
    document: Document
    prefix: Path


@dataclass(frozen=True)
class Environment:
    name: str
    target: str
    clusters: tuple[str, ...]
    defaults: Layer | None
    gateway: dict[str, str] | None
    location: Location
    autoscaler: str  # the schema's default is filled in
    prometheus_namespace: str
    keda: dict[str, str] | None = None
    allow_empty: bool = False  # may have no models (allowEmpty)
    tenancy: str = "root"  # root | namespace: a RepoSync per namespace
    regions: tuple[tuple[str, str], ...] = ()  # (cluster, region) where the Platform sets one
    gcp_project: str | None = None  # configConnector.project: monitoring as KCC objects


@dataclass(frozen=True)
class Platform:
    name: str
    kubernetes_version: str
    config_sync: dict[str, Any]
    environments: tuple[Environment, ...]
    source: Source
    discount: float = 0.0  # pricing.discount: a factor on every list price
    pricing_region: str | None = None  # pricing.region: for clusters that name none
    cost_risk_percent: float = 25.0  # diff.costRiskPercent


def _has(data: Any, path: Path) -> bool:
    for part in path:
        if isinstance(data, dict) and isinstance(part, str) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return False
    return True


@dataclass(frozen=True)
class Plan:
    """Everything needed to render one model into one environment."""

    name: str
    namespace: str
    labels: dict[str, str]
    environment: Environment
    platform: Platform
    spec: dict[str, Any]  # merged, with every default filled in
    source: Source
    layers: tuple[Layer, ...]  # lowest precedence first
    facts: Facts  # shape, engine and source, worked out once from `spec`

    def layer_of(self, *path: str | int) -> int:
        """Precedence of the layer that set spec.<path>: -1 for a default."""
        return next((i for i in range(len(self.layers) - 1, -1, -1)
                     if _has(self.layers[i].data, path)), -1)

    def locate(self, *path: str | int) -> Location:
        """Where the value at spec.<path> was written: the highest layer that sets it."""
        for layer in reversed(self.layers):
            if _has(layer.data, path):
                return layer.document.locate((*layer.prefix, *path))
        return self.source.document.locate(("spec", *path))

    @property
    def rel(self) -> str:
        return self.source.rel
