"""The endpoint picker (EPP) infergen renders is one its pinned release starts with: only
flags that release defines, none of the metric flags it refuses, and a plugin config whose
fields are the ones its decoders read, naming the engine's load series explicitly.

Upstream facts below are copied from kubernetes-sigs/gateway-api-inference-extension at tag
v1.5.0 (df9f8909), the pin in generator/catalog/gke.yaml:
- EPP_FLAGS: pkg/epp/server/options.go (AddFlags), pkg/common/observability/logging/options.go
  (`v`, plus controller-runtime's zap flags it binds: zap-devel, zap-encoder, zap-log-level,
  zap-stacktrace-level, zap-time-encoding);
- ENGINE_CONFIG_FIELDS and EXTRACTOR_FIELDS: the json tags of engineConfigParams and
  modelServerExtractorParams, pkg/epp/framework/plugins/datalayer/extractor/metrics/factories.go;
- SOURCE_FIELDS: metricsDatasourceParams, .../datalayer/source/metrics/datasource.go;
- PLUGIN_FIELDS and CONFIG_FIELDS: PluginSpec and EndpointPickerConfig,
  apix/config/v1alpha1/endpointpickerconfig_types.go (decoded strictly: configloader.go).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import catalog
from generator.objects import routing
from tests.conftest import CASES, ROOT, golden_cases
from tests.errorcases import MODEL, PLATFORM
from tests.plan.test_resolve import plans

EPP_FLAGS = {
    "grpc-port", "ha-enable-leader-election", "pool-group", "pool-namespace", "pool-name",
    "endpoint-selector", "endpoint-target-ports", "disable-endpoint-subset-filter",
    "model-server-metrics-scheme", "model-server-metrics-path", "model-server-metrics-port",
    "model-server-metrics-https-insecure-skip-verify", "refresh-metrics-interval",
    "refresh-prometheus-metrics-interval", "metrics-staleness-threshold",
    "total-queued-requests-metric", "total-running-requests-metric",
    "kv-cache-usage-percentage-metric", "lora-info-metric", "cache-info-metric",
    "v", "zap-devel", "zap-encoder", "zap-log-level", "zap-stacktrace-level",
    "zap-time-encoding", "tracing", "health-checking", "metrics-port", "grpc-health-port",
    "enable-pprof", "cert-path", "enable-cert-reload", "secure-serving",
    "metrics-endpoint-auth", "config-file", "config-text",
}
ENGINE_CONFIG_FIELDS = {
    "name", "queuedRequestsSpec", "runningRequestsSpec", "kvUsageSpec", "loraSpec",
    "cacheInfoSpec", "cacheBlockSizeLabelName", "cacheNumBlocksLabelName",
    "cacheBlockSizeSpec", "cacheNumBlocksSpec",
}
EXTRACTOR_FIELDS = {"engineLabelKey", "defaultEngine", "engineConfigs"}
SOURCE_FIELDS = {"scheme", "path", "insecureSkipVerify"}
PLUGIN_FIELDS = {"name", "type", "parameters"}
CONFIG_FIELDS = {"apiVersion", "kind", "featureGates", "plugins", "schedulingProfiles",
                 "saturationDetector", "dataLayer", "flowControl", "parser"}

TREES = [CASES / case / "expected" for case in golden_cases()] + [ROOT / "rendered"]


def _picker(engine: str, adapters: bool) -> tuple[dict[str, Any], list[str]]:
    """The picker's plugin config and its container's args for a one-model spec."""
    text = MODEL + "  routing: {inferenceGateway: true}\n"
    if engine != "vllm":
        text += f"  server: {{engine: {engine}}}\n"
    if adapters:
        text = text.replace("    source: hf://org/m\n", "    source: hf://org/m\n"
                            "    adapters: [{name: a, source: hf://org/a}]\n")
    plan = plans(PLATFORM, text)["dev"]
    cat = catalog.load()
    config_map = routing.endpoint_picker_config(plan, cat)
    deployment = routing.endpoint_picker_deployment(plan, cat)
    assert config_map is not None and deployment is not None
    config = yaml.safe_load(config_map["data"][routing.PLUGINS_FILE])
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    return config, args


def _flag(arg: str) -> str:
    return arg.removeprefix("--").split("=", 1)[0]


def _extractor(config: dict[str, Any]) -> dict[str, Any]:
    name = catalog.load().gke.inference_gateway.endpoint_picker.metrics_extractor
    found = [p for p in config["plugins"] if p["type"] == name]
    assert len(found) == 1
    return dict(found[0]["parameters"])


# engine, adapters -> the engineConfigs entry infergen writes
ENTRIES = [
    ("vllm", False, {"name": "vllm", "queuedRequestsSpec": "vllm:num_requests_waiting",
                     "runningRequestsSpec": "vllm:num_requests_running",
                     "kvUsageSpec": "vllm:kv_cache_usage_perc",
                     "cacheInfoSpec": "vllm:cache_config_info"}),
    ("vllm", True, {"name": "vllm", "queuedRequestsSpec": "vllm:num_requests_waiting",
                    "runningRequestsSpec": "vllm:num_requests_running",
                    "kvUsageSpec": "vllm:kv_cache_usage_perc",
                    "cacheInfoSpec": "vllm:cache_config_info",
                    "loraSpec": "vllm:lora_requests_info"}),
    ("sglang", False, {"name": "sglang", "queuedRequestsSpec": "sglang:num_queue_reqs",
                       "runningRequestsSpec": "sglang:num_running_reqs",
                       "kvUsageSpec": "sglang:token_usage"}),
]


@pytest.mark.parametrize(("engine", "adapters", "entry"), ENTRIES)
def test_the_picker_names_the_engines_series_explicitly(
        engine: str, adapters: bool, entry: dict[str, Any]) -> None:
    config, _ = _picker(engine, adapters)
    assert _extractor(config) == {"defaultEngine": engine, "engineConfigs": [entry]}


@pytest.mark.parametrize(("engine", "adapters"), [("vllm", False), ("vllm", True),
                                                  ("sglang", False)])
def test_the_picker_config_uses_only_fields_its_release_decodes(
        engine: str, adapters: bool) -> None:
    config, _ = _picker(engine, adapters)
    assert set(config) <= CONFIG_FIELDS
    for plugin in config["plugins"]:
        assert set(plugin) <= PLUGIN_FIELDS
    extractor = _extractor(config)
    assert set(extractor) <= EXTRACTOR_FIELDS
    for entry in extractor["engineConfigs"]:
        assert set(entry) <= ENGINE_CONFIG_FIELDS
    source = [p for p in config["plugins"] if p["type"] == "metrics-data-source"]
    assert len(source) == 1 and set(source[0]["parameters"]) <= SOURCE_FIELDS


@pytest.mark.parametrize("engine", ["vllm", "sglang"])
def test_the_picker_gets_only_flags_its_release_accepts(engine: str) -> None:
    _, args = _picker(engine, adapters=False)
    deprecated = {_flag(f) for f in
                  catalog.load().gke.inference_gateway.endpoint_picker.deprecated_flags}
    assert {_flag(a) for a in args} <= EPP_FLAGS
    assert not {_flag(a) for a in args} & deprecated
    assert "--pool-group=inference.networking.k8s.io" in args


def test_the_picker_scrapes_the_pools_port() -> None:
    """EPP scrapes each pod at the pool's target port (the engine's port): an engine it
    can read must serve its metrics there."""
    for name, engine in catalog.load().engines.items():
        if engine.endpoint_picker_metrics is not None:
            assert engine.served_metrics.port == engine.port, name
            assert engine.endpoint_picker_metrics["name"] == name


def _picker_objects(tree: Path) -> list[Path]:
    return sorted(tree.rglob("deployment-epp.yaml"))


def test_every_rendered_picker_keeps_its_release_contract() -> None:
    found = 0
    for path in [p for tree in TREES for p in _picker_objects(tree)]:
        pod = yaml.safe_load(path.read_text())["spec"]["template"]["spec"]
        args = pod["containers"][0]["args"]
        assert {_flag(a) for a in args} <= EPP_FLAGS, path
        assert not any(_flag(a).endswith("-metric") for a in args), path
        config_map = yaml.safe_load((path.parent / "configmap-epp.yaml").read_text())
        config = yaml.safe_load(config_map["data"][routing.PLUGINS_FILE])
        extractor = _extractor(config)
        assert [e["name"] for e in extractor["engineConfigs"]] == [extractor["defaultEngine"]]
        found += 1
    assert found >= 3   # the inference-gateway and tenancy cases, and rendered/
