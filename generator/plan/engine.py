"""The facts of the engine a spec runs: the catalog's entry, with the variant for its
accelerator applied and, for a custom engine, what the spec says about its image."""

from __future__ import annotations

from typing import Any

from generator.catalog import Catalog

# server.metrics field -> scaling.metric value
CUSTOM_SIGNALS = {"queueSize": "queue-size", "batchSize": "batch-size",
                  "kvCacheUsage": "kv-cache-usage"}
CUSTOM_FIELDS = ("command", "port", "healthPath", "metrics")


def engine_for(spec: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    name = spec["server"]["engine"]
    facts = catalog.engine(name, spec["accelerator"].get("type", "none"))
    if name != "custom":
        return facts
    server = spec["server"]
    facts = dict(facts)
    if "command" in server:
        facts["command"] = list(server["command"])
    facts["port"] = server.get("port", facts["port"])
    facts["healthPath"] = server.get("healthPath", facts["healthPath"])
    metrics = server.get("metrics", {})
    facts["metrics"] = {"port": metrics.get("port", facts["port"]),
                        "path": metrics.get("path", facts["metrics"]["path"])}
    if facts["metrics"]["port"] != facts["port"]:
        facts["extraPorts"] = {"metrics": facts["metrics"]["port"]}
    facts["loadSignals"] = {signal: {"metric": metrics[field], "type": "gauge"}
                            for field, signal in CUSTOM_SIGNALS.items() if field in metrics}
    return facts


def home_env(catalog: Catalog) -> list[dict[str, str]]:
    """HOME, and a user name for a UID the image's /etc/passwd does not list."""
    user = catalog.gke.pod_security
    return [{"name": "HOME", "value": user.home},
            {"name": "LOGNAME", "value": user.user_name},
            {"name": "USER", "value": user.user_name}]
