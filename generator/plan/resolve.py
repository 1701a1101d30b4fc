"""Step 3: turn valid documents into a Platform and one Plan per (model, environment).

Precedence, lowest first: schema defaults < engine and accelerator defaults < the
environment's `defaults` < the spec < `spec.environments.<env>`. Maps merge key by key;
lists and scalars replace.
"""

from __future__ import annotations

import copy
from typing import Any

from generator.catalog import Catalog
from generator.plan import model_source
from generator.plan.facts import facts_of
from generator.plan.records import Environment, Layer, Plan, Platform
from generator.spec.load import Source
from generator.spec.schema_store import input_schema

# Fields of a ModelDeployment spec that say where it goes rather than what it is.
PLACEMENT_FIELDS = ("environments", "deployTo", "clusters")


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _deref(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema and schema["$ref"].startswith("#/$defs/"):
        schema = root["$defs"][schema["$ref"].removeprefix("#/$defs/")]
    return schema


def apply_defaults(data: dict[str, Any], schema: dict[str, Any],
                   root: dict[str, Any]) -> dict[str, Any]:
    """Fill every `default` the schema declares, creating objects that hold defaults."""
    schema = _deref(schema, root)
    result = dict(data)
    for name, prop in schema.get("properties", {}).items():
        prop = _deref(prop, root)
        if name not in result and "default" in prop:
            result[name] = copy.deepcopy(prop["default"])
        elif prop.get("type") == "object" and "properties" in prop:
            value = result.get(name, {})
            if isinstance(value, dict):
                filled = apply_defaults(value, prop, root)
                if filled or name in result:
                    result[name] = filled
    return result


def platform_from(source: Source) -> Platform:
    doc = source.document
    root = input_schema("Platform")
    data = apply_defaults(doc.data, root, root)
    spec = data["spec"]
    environments = []
    env_schema = root["properties"]["spec"]["properties"]["environments"]["items"]
    for index, raw_env in enumerate(spec["environments"]):
        env = apply_defaults(raw_env, env_schema, root)
        prefix = ("spec", "environments", index)
        defaults = (Layer(env["defaults"], doc, (*prefix, "defaults"))
                    if env.get("defaults") else None)
        environments.append(Environment(
            name=env["name"], target=env["target"],
            clusters=tuple(c if isinstance(c, str) else c["name"] for c in env["clusters"]),
            defaults=defaults, gateway=env.get("gateway"), location=doc.locate(prefix),
            autoscaler=env["autoscaler"], keda=env.get("keda"),
            prometheus_namespace=env["prometheusNamespace"], allow_empty=env["allowEmpty"],
            tenancy=env["tenancy"],
            regions=tuple((c["name"], c["region"]) for c in env["clusters"]
                          if isinstance(c, dict) and "region" in c),
            gcp_project=(env.get("configConnector") or {}).get("project")))
    pricing = spec.get("pricing", {})
    return Platform(name=data["metadata"]["name"],
                    kubernetes_version=spec["kubernetesVersion"],
                    config_sync=spec["configSync"], environments=tuple(environments),
                    source=source, discount=float(pricing.get("discount", 0.0)),
                    pricing_region=pricing.get("region"),
                    cost_risk_percent=float(spec.get("diff", {}).get("costRiskPercent", 25)))


def target_environments(source: Source, platform: Platform) -> list[str]:
    deploy_to = source.document.data["spec"].get("deployTo")
    known = [e.name for e in platform.environments]
    return [name for name in known if deploy_to is None or name in deploy_to]


def _catalog_defaults(spec: dict[str, Any], source: model_source.Source | None,
                      catalog: Catalog) -> dict[str, Any]:
    """Defaults that depend on the chosen engine and accelerator."""
    accelerator = spec.get("accelerator", {}).get("type", "none")
    engine = (catalog.engine(spec["server"]["engine"], accelerator)
              if spec["server"]["engine"] in catalog.engines else None)
    gpu = catalog.gpus.get(accelerator)
    scaling = spec["scaling"]
    # weights baked into an image: that image is the server
    image = (source.reference if isinstance(source, model_source.Image)
             else engine.image if engine else None)
    defaults: dict[str, Any] = {
        "server": {"image": image},
        # a TPU's chip count follows from its topology (accelerators.shape_of)
        "accelerator": {} if accelerator in catalog.tpus else {"count": 1},
        "model": {"dtype": (engine.default_dtype if engine else None) or (
            "float16" if gpu is not None and not gpu.bfloat16 else "bfloat16")},
        "scaling": {"maxReplicas": max(scaling["minReplicas"], 1)},
    }
    filled = deep_merge(defaults, spec)
    # drop defaults the catalog has no value for (an engine without that signal, ...)
    for section in ("server", "scaling"):
        filled[section] = {k: v for k, v in filled[section].items() if v is not None}
    return filled


def plan(source: Source, platform: Platform, environment: Environment,
         catalog: Catalog) -> Plan:
    doc = source.document
    spec = doc.data["spec"]
    own = {k: v for k, v in spec.items() if k not in PLACEMENT_FIELDS}
    layers: list[Layer] = []
    if environment.defaults is not None:
        layers.append(environment.defaults)
    layers.append(Layer(own, doc, ("spec",)))
    override = spec.get("environments", {}).get(environment.name)
    if override:
        layers.append(Layer(override, doc, ("spec", "environments", environment.name)))

    merged: dict[str, Any] = {}
    for layer in layers:
        merged = deep_merge(merged, layer.data)
    root = input_schema("ModelDeployment")
    merged = apply_defaults(merged, root["$defs"]["settings"], root)
    # parsed once: it picks the image here, and the builders read it from the facts
    source_of_model = model_source.parse(merged.get("model", {}).get("source", ""))
    merged = _catalog_defaults(merged, source_of_model, catalog)

    metadata = doc.data["metadata"]
    namespace_default = root["properties"]["metadata"]["properties"]["namespace"]["default"]
    return Plan(name=metadata["name"], namespace=metadata.get("namespace", namespace_default),
                labels=dict(metadata.get("labels", {})), environment=environment,
                platform=platform, spec=merged, source=source, layers=tuple(layers),
                facts=facts_of(merged, source_of_model, catalog))


def plans_for(source: Source, platform: Platform, catalog: Catalog) -> list[Plan]:
    targets = target_environments(source, platform)
    return [plan(source, platform, env, catalog)
            for env in platform.environments if env.name in targets]
