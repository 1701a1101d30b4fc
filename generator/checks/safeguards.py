"""Opting out of a safeguard takes a reason, as server.security.runAsRoot does, and the
reason stays on the pods as an annotation (objects/security.py): a NetworkPolicy switched
off, a serving port opened to every address or to a system namespace, an environment
variable that overrides the device plugin's GPU isolation (catalog/safeguards.yaml)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from generator.catalog import Catalog, read_data
from generator.checks.common import STEP
from generator.checks.inputs import reserved_namespace
from generator.diagnostics import Diagnostic
from generator.plan.records import Plan


@cache
def _safeguards() -> Any:
    return read_data("safeguards.yaml")


_REASON = "networkPolicy: {reason: WHY} (at least 10 characters; it stays on the pods)"


def _network_opt_outs(plan: Plan) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(where in spec, what) of every network safeguard the model switches off."""
    policy = plan.spec["networkPolicy"]
    if not policy["enabled"]:
        yield ("networkPolicy", "enabled"), "the NetworkPolicy is switched off"
    open_cidrs = _safeguards()["network"]["openCidrs"]
    for index, source in enumerate(policy.get("allowFrom", [])):
        if source.get("cidr") in open_cidrs:
            yield (("networkPolicy", "allowFrom", index, "cidr"),
                   f"allowFrom {source['cidr']} opens the serving port to every address")
        namespace = source.get("namespace")
        if isinstance(namespace, str) and reserved_namespace(namespace):
            yield (("networkPolicy", "allowFrom", index, "namespace"),
                   f"allowFrom {namespace} lets every pod of a system namespace in")


def network_opt_out_reason(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """A network safeguard switched off gives networkPolicy.reason."""
    if plan.spec["networkPolicy"].get("reason"):
        return
    for path, what in _network_opt_outs(plan):
        yield plan.locate(*path).diagnostic(
            STEP, f"{what}: opting out of a safeguard takes a reason", f"add {_REASON}")


def device_isolation_kept(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """server.env never overrides the device plugin's isolation (NVIDIA_VISIBLE_DEVICES)
    without server.security.overrideDeviceIsolation and its reason."""
    security = plan.spec["server"].get("security", {})
    if security.get("overrideDeviceIsolation") and security.get("reason"):
        return
    names = {entry["name"] for entry in _safeguards()["deviceIsolationEnv"]}
    for name in plan.spec["server"].get("env", {}):
        if name in names:
            yield plan.locate("server", "env", name).diagnostic(
                STEP, f"{name} overrides the device plugin's isolation: the container could "
                "see GPUs it was not given (CUDA_VISIBLE_DEVICES picks among its own)",
                "remove it, or set server.security: {overrideDeviceIsolation: true, reason: "
                "WHY} (the reason stays on the pods)")
