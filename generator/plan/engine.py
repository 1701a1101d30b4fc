"""The facts of the engine a spec runs: the catalog's entry, with the variant for its
accelerator applied and, for a custom engine, what the spec says about its image."""

from __future__ import annotations

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
