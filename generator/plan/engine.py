"""The facts of the engine a spec runs: the catalog's entry, with the variant for its
accelerator applied and, for a custom engine, what the spec says about its image."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from generator.catalog import Catalog
from generator.catalog.engine_entry import Engine, LoadSignal, Metrics

# server.metrics field -> scaling.metric value
CUSTOM_SIGNALS = {"queueSize": "queue-size", "batchSize": "batch-size",
                  "kvCacheUsage": "kv-cache-usage"}
CUSTOM_FIELDS = ("command", "port", "healthPath", "metrics")


def engine_for(spec: dict[str, Any], catalog: Catalog) -> Engine:
    name = spec["server"]["engine"]
    facts = catalog.engine(name, spec["accelerator"].get("type", "none"))
    if name != "custom":
        return facts
    server = spec["server"]
    metrics = server.get("metrics", {})
    port = server.get("port", facts.port)
    assert facts.metrics is not None, "engines.yaml: custom names its default metrics path"
    scraped = Metrics(metrics.get("port", port), metrics.get("path", facts.metrics.path))
    return replace(
        facts,
        command=tuple(server["command"]) if "command" in server else facts.command,
        port=port,
        health_path=server.get("healthPath", facts.health_path),
        metrics=scraped,
        extra_ports={"metrics": scraped.port} if scraped.port != port else facts.extra_ports,
        load_signals={signal: LoadSignal(metrics[field], "gauge")
                      for field, signal in CUSTOM_SIGNALS.items() if field in metrics})


def home_env(catalog: Catalog) -> list[dict[str, str]]:
    """HOME, and a user name for a UID the image's /etc/passwd does not list."""
    user = catalog.gke.pod_security
    return [{"name": "HOME", "value": user.home},
            {"name": "LOGNAME", "value": user.user_name},
            {"name": "USER", "value": user.user_name}]


def replaced_env(spec: dict[str, Any], engine: Engine, derived: dict[str, str],
                 key: Callable[[str], str]) -> dict[str, str]:
    """The derived env the user's server.env replaces, by canonical name (`key`, the
    contract's aliasing) -> the derived name it replaces. Only infergen's defaults may be:
    catalog userMayReplace (another value), userMayLower (a lower number); the check step
    and the render read this one answer."""
    found: dict[str, str] = {}
    for name, value in spec["server"].get("env", {}).items():
        if not isinstance(value, str):
            continue
        for mine in (*engine.user_may_replace, *engine.user_may_lower):
            if key(mine) != key(name) or mine not in derived or value == derived[mine]:
                continue
            lower = mine in engine.user_may_lower
            if not lower or (value.isdigit() and derived[mine].isdigit()
                             and int(value) < int(derived[mine])):
                found[key(name)] = mine
    return found
