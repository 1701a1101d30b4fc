"""Container resources as Kubernetes writes them (the sizing itself is plan/sizing.py)."""

from __future__ import annotations

from typing import Any

from generator.plan.sizing import quantity


def guaranteed(size: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Requests equal to limits: Guaranteed QoS, so the kubelet evicts such pods last."""
    return {"requests": dict(size), "limits": dict(size)}


def guaranteed_from(catalog_size: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """guaranteed(), of a size the catalog writes (numbers or quantities)."""
    return guaranteed({name: quantity(value) for name, value in catalog_size.items()})
