"""Rules about the serving engine, its image and the model sources it loads."""

from __future__ import annotations

from collections.abc import Iterator

from generator.catalog import Catalog
from generator.checks.common import STEP, valid_shape
from generator.diagnostics import Diagnostic
from generator.plan import model_source
from generator.plan.engine import CUSTOM_FIELDS, engine_for
from generator.plan.records import Plan


def model_source_form(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """The model and adapter sources are well-formed, and the engine can load them."""
    model = plan.spec["model"]
    parsed = plan.facts.source
    if parsed is None:
        yield plan.locate("model", "source").diagnostic(
            STEP, f"{model['source']!r} is not a model source",
            "one of: " + ", ".join(model_source.FORMS))
    engine = catalog.engines.get(plan.spec["server"]["engine"])
    if engine is None:
        return
    kind = model_source.kind(parsed) if parsed is not None else None
    if kind is not None and kind not in engine.sources:
        yield plan.locate("model", "source").diagnostic(
            STEP, f"engine {plan.spec['server']['engine']} cannot load {kind}:// sources",
            engine.source_hint or "use one of: " + ", ".join(f"{k}://" for k in engine.sources))
    if kind == "oci" and plan.layer_of("server", "image") >= 0:
        yield plan.locate("server", "image").diagnostic(
            STEP, "server.image is set, but an oci:// source is the serving image itself",
            "remove server.image, or load the weights from hf:// or gs://")
    adapters = model.get("adapters", [])
    if adapters and not engine.adapters:
        yield plan.locate("model", "adapters").diagnostic(
            STEP, f"engine {plan.spec['server']['engine']} does not serve LoRA adapters",
            "use " + ", ".join(n for n, e in catalog.engines.items() if e.adapters)
            + ", or merge the adapter into the model")
    names = [a["name"] for a in adapters]
    for index, adapter in enumerate(adapters):
        parsed_adapter = model_source.parse(adapter["source"])
        if parsed_adapter is None:
            yield plan.locate("model", "adapters", index, "source").diagnostic(
                STEP, f"{adapter['source']!r} is not an adapter source",
                "hf://ORG/NAME[@REVISION] or gs://BUCKET/PATH")
        if isinstance(parsed_adapter, model_source.HuggingFace) and parsed_adapter.revision:
            yield plan.locate("model", "adapters", index, "source").diagnostic(
                STEP, "an adapter's Hugging Face revision cannot be pinned: the engine loads "
                "the repository's default branch",
                "remove @REVISION, or copy the adapter to Cloud Storage (gs://)")
        if names.index(adapter["name"]) != index:
            yield plan.locate("model", "adapters", index, "name").diagnostic(
                STEP, f"adapter name {adapter['name']!r} is used twice")


def engine_accelerator(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """The engine runs on this kind of accelerator, and across hosts if the slice needs it."""
    name = plan.spec["server"]["engine"]
    if name not in catalog.engines or "type" not in plan.spec["accelerator"]:
        return
    kind = catalog.accelerator_kind(plan.spec["accelerator"]["type"])
    supported = catalog.engines[name].accelerators
    if kind not in supported:
        yield plan.locate("accelerator", "type").diagnostic(
            STEP, f"engine {name} does not run on {'a CPU' if kind == 'none' else kind + 's'}",
            "choose an accelerator of kind: " + ", ".join(supported))
        return
    shape = valid_shape(plan, catalog)
    if shape is None:
        return
    if shape.multi_host and kind not in (catalog.engines[name].multi_host_args or {}) \
            and catalog.engines[name].pathways is None:  # Pathways spans the slice itself
        why = (catalog.engines[name].multi_host_unsupported or {}).get(kind)
        yield plan.locate("accelerator").diagnostic(
            STEP, f"engine {name} cannot serve one replica across {shape.hosts} nodes"
            + (f": {why}" if why else ""),
            "choose an accelerator that fits one node"
            + (" (a single-host slice)" if kind == "tpu" else ""))


def engine_settings(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """The engine takes this dtype and this many devices; custom engines say what they
    are, and other engines take no custom fields."""
    name = plan.spec["server"]["engine"]
    server = plan.spec["server"]
    engine = engine_for(plan.spec, catalog)
    dtype = plan.spec["model"]["dtype"]
    if dtype not in engine.dtype_args:
        yield plan.locate("model", "dtype").diagnostic(
            STEP, f"engine {name} does not serve {dtype} models",
            "use one of: " + ", ".join(engine.dtype_args))
    if plan.spec["routing"]["inferenceGateway"] and engine.endpoint_picker_metrics is None:
        pickable = [n for n, e in catalog.engines.items() if e.endpoint_picker_metrics is not None]
        yield plan.locate("routing", "inferenceGateway").diagnostic(
            STEP, f"GKE Inference Gateway's endpoint picker cannot read engine {name}'s load",
            "use one of: " + ", ".join(pickable))
    if name == "custom":
        if not server.get("image"):
            yield plan.locate("server").diagnostic(
                STEP, "a custom engine needs server.image", "the image of your server")
    else:
        for field in CUSTOM_FIELDS:
            if field in server:
                yield plan.locate("server", field).diagnostic(
                    STEP, f"server.{field} applies to custom engines only",
                    f"engine {name} sets its own")
    shape = valid_shape(plan, catalog)
    if shape is None:
        return
    if not engine.tensor_parallel and shape.devices > 1:
        yield plan.locate("accelerator", "count").diagnostic(
            STEP, f"engine {name} does not split a model across {shape.devices} devices",
            "use count 1 and more replicas")


def image_pinned(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """An image names a version (a tag other than latest) or, better, a digest."""
    image = plan.spec["server"].get("image")
    if not image or "@sha256:" in image or plan.layer_of("server", "image") < 0:
        return  # the catalog's images are pinned deliberately
    last = image.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else None
    if tag in (None, "latest"):
        yield plan.locate("server", "image").diagnostic(
            STEP, f"image {image} is not pinned to a version: every node may run another build",
            "use a version tag, or image@sha256:<digest>", "warning")


def served_name_option(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """model.servedName goes to the engine's own option: refused where the engine has
    none, and a list where it takes one name."""
    names = plan.spec["model"].get("servedName")
    engine = plan.facts.engine
    if names is None or engine is None:
        return
    name = plan.spec["server"]["engine"]
    option = engine.served_name
    if option is None:
        serving = [n for n, e in catalog.engines.items() if e.served_name is not None]
        yield plan.locate("model", "servedName").diagnostic(
            STEP, f"engine {name} has no option to serve the model under another name",
            "remove servedName (clients use the model id), or use "
            + ", ".join(serving))
    elif not option.many and isinstance(names, list) and len(names) > 1:
        yield plan.locate("model", "servedName").diagnostic(
            STEP, f"engine {name} serves a model under one name ({option.flag} takes one), "
            f"not {len(names)}", "give one name")



def runtime_adapter_source(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """An adapter loaded at run time comes from Hugging Face: a gs:// adapter needs a bucket
    volume in the pod template, which a change of the list would then restart."""
    for index, adapter in enumerate(plan.spec["model"].get("adapters", [])):
        parsed = model_source.parse(adapter["source"])
        if adapter.get("loading") == "dynamic" and isinstance(parsed, model_source.CloudStorage):
            yield plan.locate("model", "adapters", index, "source").diagnostic(
                STEP, "an adapter loaded at run time cannot come from gs://: its bucket would "
                "be a volume of the pod, and changing the list would restart the pods",
                "use loading: static for it, or an hf:// adapter")
