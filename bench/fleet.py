"""Synthetic but realistic fleets: N ModelDeployment specs over engines, GPUs and TPUs,
GPU sharing, capacity choices, each deployed to three environments (dev, staging, prod),
with a Platform; a fleet larger than a Config Sync root is sharded by infergen itself.

Every spec is drawn from a small set of archetypes known to be valid (each mirrors an
example or golden case), then varied in name, namespace, team, replicas, metric and
environment overrides, so the fleet exercises every builder. `write_fleet` writes the
folder; the benchmark then runs it through the real pipeline and refuses invalid fleets.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml

# the region's proxy-only subnet, so GKE Gateway's proxies reach the models
PROXY_SUBNET = {"allowFrom": [{"cidr": "10.129.0.0/23"}]}


def platform(count: int) -> dict[str, Any]:
    """Three plain environments, whatever the size of the fleet: infergen shards each into
    as many Config Sync roots as it needs (output/sharding.py)."""
    environments: list[dict[str, Any]] = [
        {"name": "dev", "clusters": ["dev-us-central1"],
         "defaults": {"capacity": {"provisioning": ["spot", "on-demand"]},
                      "monitoring": {"interval": "60s"}, "networkPolicy": PROXY_SUBNET}},
        {"name": "staging", "clusters": ["staging-us-central1"],
         "defaults": {"capacity": {"provisioning": ["spot", "on-demand"]},
                      "networkPolicy": PROXY_SUBNET}},
        {"name": "prod", "clusters": ["prod-us-central1", "prod-europe-west4"],
         "gateway": {"name": "inference-gateway", "namespace": "gateway-system"},
         "configConnector": {"project": "acme-fleet-prod"},  # dashboards, log alerts synced
         "defaults": {"networkPolicy": PROXY_SUBNET}},
    ]
    return {
        "apiVersion": "infergen.dev/v1alpha1",
        "kind": "Platform",
        "metadata": {"name": "fleet"},
        "spec": {
            "kubernetesVersion": "1.33",
            "configSync": {"repo": "https://github.com/acme/fleet-serving.git",
                           "branch": "main", "auth": "none"},
            "environments": environments,
        },
    }


HF_TOKEN = {"name": "hf-secret", "key": "hf_api_token"}

# (weight, engine, spec without metadata): the shapes a real fleet is made of.
ARCHETYPES: list[tuple[int, str, dict[str, Any]]] = [
    (6, "vllm", {"model": {"source": "hf://google/gemma-3-12b-it", "tokenSecret": HF_TOKEN,
                           "parameters": "12B", "maxModelLength": 8192},
                 "server": {"args": ["--enable-prefix-caching"]},
                 "accelerator": {"type": "nvidia-l4", "count": 2}}),
    (4, "vllm", {"model": {"source": "hf://Qwen/Qwen3-8B", "parameters": "8B",
                           "maxModelLength": 16384},
                 "accelerator": {"type": "nvidia-l4"}}),
    (3, "vllm", {"model": {"source": "hf://meta-llama/Llama-3.3-70B-Instruct",
                           "tokenSecret": "hf-token", "parameters": "70B",
                           "maxModelLength": 32768},
                 "accelerator": {"type": "nvidia-h100-80gb", "count": 8}}),
    (2, "vllm", {"model": {"source": "gs://acme-ml-models/meta-llama/Llama-3.1-8B-Instruct",
                           "parameters": "8B", "maxModelLength": 16384,
                           "adapters": [{"name": "search-rerank",
                                         "source": "gs://acme-ml-models/adapters/rerank"}]},
                 "accelerator": {"type": "nvidia-l4", "count": 2},
                 "identity": {"gcpServiceAccount": "model-reader@acme-ml.iam.gserviceaccount.com"},
                 "routing": {"inferenceGateway": True}}),
    (3, "vllm", {"model": {"source": "hf://Qwen/Qwen2.5-0.5B-Instruct", "parameters": "0.5B"},
                 "accelerator": {"type": "nvidia-l4",
                                 "sharing": {"strategy": "time-sharing",
                                             "maxSharedClients": 4}}}),
    (1, "vllm", {"model": {"source": "hf://HuggingFaceTB/SmolLM2-1.7B-Instruct",
                           "parameters": "1.7B"},
                 "accelerator": {"type": "nvidia-l4",
                                 "sharing": {"strategy": "mps", "maxSharedClients": 2}}}),
    (1, "vllm", {"model": {"source": "hf://google/gemma-3-1b-it", "parameters": "1B",
                           "tokenSecret": "hf-token"},
                 "accelerator": {"type": "nvidia-a100-80gb",
                                 "sharing": {"strategy": "mig", "partitionSize": "1g.10gb"}}}),
    (2, "vllm", {"model": {"source": "hf://meta-llama/Llama-3.1-8B-Instruct",
                           "tokenSecret": HF_TOKEN, "parameters": "8B",
                           "maxModelLength": 8192},
                 "accelerator": {"type": "tpu-v6e", "topology": "2x4"}}),
    (1, "vllm", {"model": {"source": "hf://meta-llama/Llama-3.3-70B-Instruct",
                           "parameters": "70B", "tokenSecret": "hf-token"},
                 # one host (8 chips): vLLM is refused across a multi-host slice's hosts
                 "accelerator": {"type": "tpu-v6e", "topology": "2x4"}}),
    (4, "tgi", {"model": {"source": "hf://mistralai/Mistral-7B-Instruct-v0.3",
                          "tokenSecret": HF_TOKEN, "parameters": "7B",
                          "maxModelLength": 8192},
                "server": {"engine": "tgi"},
                "accelerator": {"type": "nvidia-l4"}}),
    (3, "sglang", {"model": {"source": "hf://Qwen/Qwen3-32B", "parameters": "32B",
                             "dtype": "fp8", "maxModelLength": 32768},
                   "server": {"engine": "sglang"},
                   "accelerator": {"type": "nvidia-l4", "count": 4}}),
    (2, "tei", {"model": {"source": "hf://BAAI/bge-large-en-v1.5", "parameters": "0.3B"},
                "server": {"engine": "tei"},
                "accelerator": {"type": "nvidia-l4"}}),
    (2, "tei", {"model": {"source": "hf://BAAI/bge-large-en-v1.5", "dtype": "float32",
                          "parameters": "335M"},
                "server": {"engine": "tei", "resources": {"cpu": "8", "memory": "16Gi"}},
                "accelerator": {"type": "none"}}),
    (2, "jetstream", {"model": {"source": "hf://google/gemma-7b-it", "tokenSecret": HF_TOKEN,
                                "parameters": "7B", "maxModelLength": 2048},
                      "server": {"engine": "jetstream"},
                      "accelerator": {"type": "tpu-v5e", "topology": "2x4"}}),
]

METRICS = {"vllm": ["queue-size", "batch-size", "kv-cache-usage"],
           "tgi": ["queue-size", "batch-size"], "sglang": ["queue-size", "kv-cache-usage"],
           "tei": ["queue-size"],
           "jetstream": []}  # jetstream v0.2.4 serves no metrics: a fixed size
CAPACITY = [None, None, ["spot"], ["spot", "on-demand"], ["on-demand"],
            ["reservation", "spot", "on-demand"]]
NAMESPACES = ["llm", "chat", "search", "embeddings", "agents", "research", "ads", "vision"]
TEAMS = ["nlp", "search", "ads", "platform", "research"]


def model_spec(index: int, rng: random.Random) -> dict[str, Any]:
    """The `index`-th spec of a fleet; deterministic for a given random generator."""
    weights = [w for w, _, _ in ARCHETYPES]
    _, engine, base = rng.choices(ARCHETYPES, weights=weights)[0]
    spec: dict[str, Any] = yaml.safe_load(yaml.safe_dump(base))  # a deep copy
    accelerator = spec["accelerator"]
    shared = "sharing" in accelerator
    low = rng.choice([1, 2, 2])
    high = low + rng.choice([1, 1, 3, 7])  # 2 or more: Spot capacity needs a spare replica
    metric = rng.choice([*METRICS[engine], "none"]) if high > low else "none"
    spec["scaling"] = {"minReplicas": low, "maxReplicas": high, "metric": metric}
    if accelerator["type"].startswith("nvidia-") and not shared:
        provisioning = rng.choice(CAPACITY)
        if provisioning:
            spec["capacity"] = {"provisioning": provisioning}
            if "reservation" in provisioning:
                spec["capacity"]["reservation"] = f"{accelerator['type']}-pool"
    if rng.random() < 0.3:
        spec["environments"] = {"prod": {"scaling": {"minReplicas": high,
                                                     "maxReplicas": high * 2}}}
    if rng.random() < 0.1:
        spec["monitoring"] = {"interval": rng.choice(["15s", "30s"])}
    name = f"{base['model']['source'].rsplit('/', 1)[-1].lower().replace('.', '-')}-{index:05d}"
    metadata: dict[str, Any] = {"name": name[-63:].lstrip("-"),
                                "namespace": rng.choice(NAMESPACES)}
    if rng.random() < 0.7:
        metadata["labels"] = {"team": rng.choice(TEAMS)}
    return {"apiVersion": "infergen.dev/v1alpha1", "kind": "ModelDeployment",
            "metadata": metadata, "spec": spec}


def spec_text(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=100)


def write_fleet(folder: Path, count: int, seed: int = 8) -> list[Path]:
    """Write a Platform and `count` ModelDeployments under `folder`; return the spec files."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "platform.yaml").write_text(spec_text(platform(count)), encoding="utf-8")
    files = []
    for index in range(count):
        doc = model_spec(index, rng)
        target = folder / doc["metadata"]["namespace"] / f"{doc['metadata']['name']}.yaml"
        target.parent.mkdir(exist_ok=True)
        target.write_text(spec_text(doc), encoding="utf-8")
        files.append(target)
    return files
