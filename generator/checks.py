"""Step 4: semantic checks across fields, files and environments.

Two registries of small rules, one function each: rules over the whole set of inputs
(names, environments, clusters) and rules over one Plan (a model in an environment).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from generator import autoscaling, memory_fit, model_source
from generator.accelerators import ShapeError, shape_of
from generator.build import RESERVED_FOLDERS, resources
from generator.build.monitoring import seconds
from generator.catalog import Catalog
from generator.diagnostics import Diagnostic
from generator.engine_facts import CUSTOM_FIELDS, engine_for
from generator.load import Source
from generator.model import Plan, Platform
from generator.validate import did_you_mean

STEP = "check"
RESERVED_LABEL_PREFIXES = ("configmanagement.gke.io/", "configsync.gke.io/",
                           "app.kubernetes.io/", "infergen.dev/")

# ----------------------------------------------------------------- rules over all inputs


def platform_count(platforms: list[Source], folder: str) -> Iterator[Diagnostic]:
    """Exactly one Platform describes the environments."""
    if not platforms:
        yield Diagnostic(folder, 0, 0, "", "no Platform found", STEP,
                         f"add {folder}/platform.yaml with `kind: Platform`")
    for extra in platforms[1:]:
        yield extra.document.locate(("kind",)).diagnostic(
            STEP, f"a second Platform (the first is {platforms[0].display})", "keep one")


def environment_names(platform: Platform) -> Iterator[Diagnostic]:
    """Environment names are unique; a cluster syncs one environment."""
    seen: dict[str, str] = {}
    owner: dict[str, str] = {}
    for index, env in enumerate(platform.environments):
        if env.name in seen:
            yield platform.source.document.locate(
                ("spec", "environments", index, "name")).diagnostic(
                STEP, f"environment {env.name!r} is defined twice")
        if env.name in RESERVED_FOLDERS:
            yield platform.source.document.locate(
                ("spec", "environments", index, "name")).diagnostic(
                STEP, f"environment name {env.name!r} is reserved",
                "rendered/bootstrap holds the clusters' RootSyncs and rendered/dashboards "
                "their dashboards")
        seen[env.name] = env.name
        for c_index, cluster in enumerate(env.clusters):
            if cluster in owner and owner[cluster] != env.name:
                yield platform.source.document.locate(
                    ("spec", "environments", index, "clusters", c_index)).diagnostic(
                    STEP, f"cluster {cluster!r} is already in environment {owner[cluster]!r}",
                    "a cluster syncs exactly one environment root")
            owner.setdefault(cluster, env.name)


def config_sync_auth(platform: Platform) -> Iterator[Diagnostic]:
    """Config Sync gets the credentials its auth mode needs."""
    sync = platform.config_sync
    if sync["auth"] == "gcpserviceaccount" and "gcpServiceAccountEmail" not in sync:
        yield platform.source.document.locate(("spec", "configSync", "auth")).diagnostic(
            STEP, "auth gcpserviceaccount needs configSync.gcpServiceAccountEmail")
    if sync["auth"] not in ("token", "ssh") and "secretRef" in sync:
        yield platform.source.document.locate(("spec", "configSync", "secretRef")).diagnostic(
            STEP, f"secretRef is only used with auth token or ssh, not {sync['auth']}")
    if sync["auth"] != "gcpserviceaccount" and "gcpServiceAccountEmail" in sync:
        yield platform.source.document.locate(
            ("spec", "configSync", "gcpServiceAccountEmail")).diagnostic(
            STEP, "gcpServiceAccountEmail is only used with auth gcpserviceaccount")


def model_environments(source: Source, platform: Platform) -> Iterator[Diagnostic]:
    """deployTo and environments name environments of the Platform."""
    spec = source.document.data["spec"]
    known = [e.name for e in platform.environments]
    if spec.get("deployTo") == []:
        yield source.document.locate(("spec", "deployTo")).diagnostic(
            STEP, "deployTo is empty: the model is rendered nowhere",
            "remove deployTo to deploy everywhere, or delete the spec", "warning")
    for index, name in enumerate(spec.get("deployTo", [])):
        if name not in known:
            yield source.document.locate(("spec", "deployTo", index)).diagnostic(
                STEP, f"environment {name!r} is not in the Platform (known: "
                + ", ".join(known) + ")", did_you_mean(name, known))
    for name in spec.get("environments", {}):
        if name not in known:
            yield source.document.locate(("spec", "environments", name), at_key=True).diagnostic(
                STEP, f"environment {name!r} is not in the Platform (known: "
                + ", ".join(known) + ")", did_you_mean(name, known))
        elif "deployTo" in spec and name not in spec["deployTo"]:
            yield source.document.locate(("spec", "environments", name), at_key=True).diagnostic(
                STEP, f"overrides for {name!r}, which deployTo leaves out",
                "add it to deployTo or remove the overrides", "warning")


def model_labels(source: Source) -> Iterator[Diagnostic]:
    """User labels never take keys that Config Sync or infergen reserve."""
    for key in source.document.data["metadata"].get("labels", {}):
        if key.startswith(RESERVED_LABEL_PREFIXES):
            yield source.document.locate(("metadata", "labels", key), at_key=True).diagnostic(
                STEP, f"label {key!r} uses a reserved prefix",
                "Config Sync rejects configsync.gke.io/ and configmanagement.gke.io/ labels; "
                "infergen sets app.kubernetes.io/ and infergen.dev/ itself")


_HF_TOKEN = re.compile(r"hf_[A-Za-z0-9]{30,}")
# a long run of base64 with upper case, lower case and digits, that is not plain hex (a
# revision or digest)
_BASE64 = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")


def _looks_secret(value: str, free_text: bool) -> bool:
    if _HF_TOKEN.search(value):
        return True
    if not free_text:
        return False
    for run in _BASE64.findall(value):
        if (re.search(r"[A-Z]", run) and re.search(r"[a-z]", run) and re.search(r"\d", run)
                and not re.fullmatch(r"[0-9a-fA-F]+", run)):
            return True
    return False


def _strings(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[
        tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def no_inline_secrets(source: Source) -> Iterator[Diagnostic]:
    """Secrets come by reference: a value that looks like a token is refused."""
    for path, value in _strings(source.document.data):
        # env values and args are where a pasted secret would land
        free_text = any(part in ("env", "args") for part in path)
        if _looks_secret(value, free_text):
            yield source.document.locate(path).diagnostic(
                STEP, "this looks like a secret token; specs are committed to Git",
                "put it in a Kubernetes Secret and name it in model.tokenSecret")


def unique_names(plans: Iterable[Plan]) -> Iterator[Diagnostic]:
    """One model per (environment, namespace, name)."""
    first: dict[tuple[str, str, str], Plan] = {}
    for plan in plans:
        key = (plan.environment.name, plan.namespace, plan.name)
        if key in first and first[key].source is not plan.source:
            yield plan.source.document.locate(("metadata", "name")).diagnostic(
                STEP, f"{plan.namespace}/{plan.name} is also defined in "
                f"{first[key].source.display} (environment {plan.environment.name})",
                "rename one of them or put it in another namespace")
        first.setdefault(key, plan)


# ----------------------------------------------------------------- rules over one plan

PlanRule = Callable[[Plan, Catalog], Iterable[Diagnostic]]

# Contract fields that a later release implements. Until then a spec using them is refused,
# never silently rendered without them.
def portable_target(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """A portable environment (target: kubernetes) uses nothing only GKE has."""
    if plan.environment.target != "kubernetes":
        return
    spec = plan.spec
    found: list[tuple[tuple[str | int, ...], str]] = []
    provisioning = spec["capacity"]["provisioning"]
    if provisioning != ["on-demand"]:
        found.append((("capacity", "provisioning"),
                      f"capacity {', '.join(provisioning)} (Spot, Flex Start, reservations and "
                      "ComputeClasses)"))
    kind = catalog.accelerator_kind(spec["accelerator"].get("type", "none"))
    if kind == "tpu":
        found.append((("accelerator", "type"), "Cloud TPUs"))
    if spec["accelerator"].get("sharing"):
        found.append((("accelerator", "sharing"), "GKE's GPU sharing"))
    sources = [spec["model"]["source"], *(a["source"] for a in spec["model"].get("adapters", []))]
    if any(isinstance(model_source.parse(s), model_source.CloudStorage) for s in sources):
        found.append((("model", "source"), "gs:// sources (the Cloud Storage FUSE CSI driver)"))
    if spec.get("identity", {}).get("gcpServiceAccount"):
        found.append((("identity", "gcpServiceAccount"), "Workload Identity"))
    if spec["routing"]["inferenceGateway"]:
        found.append((("routing", "inferenceGateway"), "GKE Inference Gateway"))
    if autoscaling.GPU in autoscaling.signals(spec):
        found.append((("scaling", "metric"), "gpu-utilization (GKE's DCGM metrics)"))
    for path, feature in found:
        yield plan.locate(*path).diagnostic(
            STEP, f"{feature} is GKE-only, but environment {plan.environment.name} targets "
            "plain Kubernetes", "override it in spec.environments for that environment, or "
            "leave the environment out of deployTo")


def topology_for_tpus(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """Only TPUs have a topology."""
    accelerator = plan.spec["accelerator"]
    if "topology" in accelerator and accelerator.get("type") not in catalog.tpus:
        yield plan.locate("accelerator", "topology").diagnostic(
            STEP, "accelerator.topology applies to TPUs only")


def monitoring_settings(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """Scrapes end before the next begins; alerts have metrics to read."""
    monitoring = plan.spec["monitoring"]
    timeout = monitoring.get("timeout")
    if timeout is not None and seconds(timeout) > seconds(monitoring["interval"]):
        yield plan.locate("monitoring", "timeout").diagnostic(
            STEP, f"scrape timeout {timeout} is longer than the interval "
            f"{monitoring['interval']}", "the scraper requires timeout <= interval")
    if monitoring["alerts"] and not monitoring["enabled"]:
        yield plan.locate("monitoring", "alerts").diagnostic(
            STEP, "alerts read the metrics that monitoring.enabled: false stops collecting",
            "enable monitoring, or turn alerts off")


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


def gateway_reaches_pods(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """Behind GKE Inference Gateway, the network policy lets the Gateway's proxies in."""
    policy = plan.spec["networkPolicy"]
    if (plan.spec["routing"]["inferenceGateway"] and policy["enabled"]
            and not any("cidr" in source for source in policy.get("allowFrom", []))):
        yield plan.locate("routing", "inferenceGateway").diagnostic(
            STEP, "GKE Gateway's proxies connect from the region's proxy-only subnet, which "
            "the network policy does not allow yet",
            "add it: `networkPolicy: {allowFrom: [{cidr: <proxy-only subnet>}]}` (in the "
            "Platform's environment defaults for every model)", "warning")


def accelerator_given(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """Every model says which accelerator it runs on."""
    if "type" not in plan.spec["accelerator"]:
        yield plan.locate("accelerator").diagnostic(
            STEP, "accelerator.type is required", "for example `accelerator: {type: nvidia-l4}`")


def model_source_form(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """The model and adapter sources are well-formed, and the engine can load them."""
    model = plan.spec["model"]
    parsed = model_source.parse(model["source"])
    if parsed is None:
        yield plan.locate("model", "source").diagnostic(
            STEP, f"{model['source']!r} is not a model source",
            "one of: " + ", ".join(model_source.FORMS))
    engine = catalog.engines.get(plan.spec["server"]["engine"])
    if engine is None:
        return
    kind = model_source.kind(parsed) if parsed is not None else None
    if kind is not None and kind not in engine["sources"]:
        yield plan.locate("model", "source").diagnostic(
            STEP, f"engine {plan.spec['server']['engine']} cannot load {kind}:// sources",
            "use one of: " + ", ".join(f"{k}://" for k in engine["sources"]))
    if kind == "oci" and plan.layer_of("server", "image") >= 0:
        yield plan.locate("server", "image").diagnostic(
            STEP, "server.image is set, but an oci:// source is the serving image itself",
            "remove server.image, or load the weights from hf:// or gs://")
    adapters = model.get("adapters", [])
    if adapters and not engine.get("adapters"):
        yield plan.locate("model", "adapters").diagnostic(
            STEP, f"engine {plan.spec['server']['engine']} does not serve LoRA adapters",
            "use vllm, or merge the adapter into the model")
    names = [a["name"] for a in adapters]
    for index, adapter in enumerate(adapters):
        if model_source.parse(adapter["source"]) is None:
            yield plan.locate("model", "adapters", index, "source").diagnostic(
                STEP, f"{adapter['source']!r} is not an adapter source",
                "hf://ORG/NAME[@REVISION] or gs://BUCKET/PATH")
        parsed_adapter = model_source.parse(adapter["source"])
        if isinstance(parsed_adapter, model_source.HuggingFace) and parsed_adapter.revision:
            yield plan.locate("model", "adapters", index, "source").diagnostic(
                STEP, "an adapter's Hugging Face revision cannot be pinned: the engine loads "
                "the repository's default branch",
                "remove @REVISION, or copy the adapter to Cloud Storage (gs://)")
        if names.index(adapter["name"]) != index:
            yield plan.locate("model", "adapters", index, "name").diagnostic(
                STEP, f"adapter name {adapter['name']!r} is used twice")


def engine_settings(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """The engine takes this dtype and this many devices; custom engines say what they
    are, and other engines take no custom fields."""
    name = plan.spec["server"]["engine"]
    server = plan.spec["server"]
    engine = engine_for(plan.spec, catalog)
    dtype = plan.spec["model"]["dtype"]
    if dtype not in engine["dtypeArgs"]:
        yield plan.locate("model", "dtype").diagnostic(
            STEP, f"engine {name} does not serve {dtype} models",
            "use one of: " + ", ".join(engine["dtypeArgs"]))
    if plan.spec["routing"]["inferenceGateway"] and "endpointPickerMetrics" not in engine:
        pickable = [n for n, e in catalog.engines.items() if "endpointPickerMetrics" in e]
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
    if "type" not in plan.spec["accelerator"]:
        return
    try:
        shape = shape_of(plan.spec["accelerator"], catalog)
    except ShapeError:
        return
    if not engine["tensorParallel"] and shape.devices > 1:
        yield plan.locate("accelerator", "count").diagnostic(
            STEP, f"engine {name} does not split a model across {shape.devices} devices",
            "use count 1 and more replicas")


def engine_accelerator(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """The engine runs on this kind of accelerator, and across hosts if the slice needs it."""
    name = plan.spec["server"]["engine"]
    if name not in catalog.engines or "type" not in plan.spec["accelerator"]:
        return
    kind = catalog.accelerator_kind(plan.spec["accelerator"]["type"])
    supported = catalog.engines[name]["accelerators"]
    if kind not in supported:
        yield plan.locate("accelerator", "type").diagnostic(
            STEP, f"engine {name} does not run on {'a CPU' if kind == 'none' else kind + 's'}",
            "choose an accelerator of kind: " + ", ".join(supported))
        return
    try:
        shape = shape_of(plan.spec["accelerator"], catalog)
    except ShapeError:
        return
    if shape.multi_host and kind not in catalog.engines[name].get("multiHostScript", {}):
        yield plan.locate("accelerator").diagnostic(
            STEP, f"engine {name} cannot serve one replica across {shape.hosts} nodes",
            "choose an accelerator that fits one node")


def accelerator_shape(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """The accelerator is one GKE offers: GPU counts per node, sharing rules, TPU topology."""
    if "type" not in plan.spec["accelerator"]:
        return
    try:
        shape_of(plan.spec["accelerator"], catalog)
    except ShapeError as error:
        yield plan.locate("accelerator", *error.field.split(".")).diagnostic(
            STEP, error.message, error.hint)


def memory_fits(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """The weights plus a reserve fit the accelerator memory of one replica."""
    found = memory_fit.problem(plan.spec, catalog)
    if found is not None:
        message, hint = found
        yield plan.locate("model", "parameters").diagnostic(STEP, message, hint)


def resources_fit(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """Explicit CPU and memory fit a node that carries the accelerator."""
    given = plan.spec["server"].get("resources")
    if not given or "type" not in plan.spec["accelerator"]:
        return
    try:
        shape = shape_of(plan.spec["accelerator"], catalog)
    except ShapeError:
        return
    if shape.machine is None:
        return
    wanted = resources.requests(plan.spec, shape, catalog)
    if resources.machine_for(shape, wanted, catalog) is None:
        largest = resources.derived(shape, catalog, max(
            (m for m in catalog.gpus[shape.name].machines if m.gpus == shape.devices),
            key=lambda m: (m.vcpus, m.memory_gb)) if shape.kind == "gpu" else shape.machine)
        yield plan.locate("server", "resources").diagnostic(
            STEP, f"cpu {wanted.get('cpu')} and memory {wanted.get('memory')} do not fit any "
            f"node with {shape.devices}x {shape.name} (at most cpu {largest['cpu']}, memory "
            f"{largest['memory']})", "lower them, or remove them to derive them")


def capacity_choices(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """A reservation is named exactly when it is used; preemptible capacity has a spare."""
    capacity = plan.spec["capacity"]
    uses = "reservation" in capacity["provisioning"]
    if uses and "reservation" not in capacity:
        yield plan.locate("capacity", "provisioning").diagnostic(
            STEP, "provisioning includes reservation but capacity.reservation is not set",
            "name the Compute Engine reservation")
    if not uses and "reservation" in capacity:
        yield plan.locate("capacity", "reservation").diagnostic(
            STEP, "capacity.reservation is set but provisioning does not include reservation")
    risky = [c for c in ("spot", "flex-start") if c in capacity["provisioning"]]
    if risky and plan.spec["scaling"]["maxReplicas"] == 1:
        reasons = {"spot": "Spot VMs can be preempted at any time",
                   "flex-start": "Flex Start VMs run at most 7 days"}
        stable = {"on-demand", "reservation"} & set(capacity["provisioning"])
        hint = ("allow maxReplicas of 2 or more: a replacement takes minutes to load the model"
                if stable else "allow maxReplicas of 2 or more, or add on-demand as a fallback")
        yield plan.locate("capacity", "provisioning").diagnostic(
            STEP, f"a single replica on {' or '.join(risky)} capacity will go down: "
            + "; ".join(reasons[c] for c in risky), hint, "warning")


def tensor_parallel_power_of_two(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """vLLM splits attention heads across GPUs: sizes that are not powers of two rarely
    divide them."""
    if plan.spec["server"]["engine"] != "vllm" or "type" not in plan.spec["accelerator"]:
        return
    try:
        shape = shape_of(plan.spec["accelerator"], catalog)
    except ShapeError:
        return
    if shape.devices > 1 and shape.devices & (shape.devices - 1):
        yield plan.locate("accelerator", "count").diagnostic(
            STEP, f"tensor parallel size {shape.devices} is not a power of two; most models' "
            "attention heads will not divide evenly", "use 1, 2, 4 or 8 devices per node",
            "warning")


def gpu_dtype(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """bfloat16 needs a GPU that computes in it."""
    gpu = catalog.gpus.get(plan.spec["accelerator"].get("type", ""))
    if gpu is not None and not gpu.bfloat16 and plan.spec["model"]["dtype"] == "bfloat16":
        yield plan.locate("model", "dtype").diagnostic(
            STEP, f"{gpu.name} does not support bfloat16", "use float16")


def replica_bounds(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """minReplicas <= maxReplicas, and no scale to zero with a plain HPA."""
    scaling = plan.spec["scaling"]
    if scaling["minReplicas"] > scaling["maxReplicas"]:
        # point at the one written last: that is the line that broke the pair
        field, other = sorted(("minReplicas", "maxReplicas"),
                              key=lambda name: plan.layer_of("scaling", name), reverse=True)
        where, elsewhere = plan.locate("scaling", field), plan.locate("scaling", other)
        origin = (f" ({other} {scaling[other]} is set at {elsewhere.file}:{elsewhere.line})"
                  if plan.layer_of("scaling", other) >= 0 and elsewhere.file != where.file
                  else "")
        yield where.diagnostic(
            STEP, f"minReplicas {scaling['minReplicas']} is greater than maxReplicas "
            f"{scaling['maxReplicas']} in environment {plan.environment.name}{origin}")
    if scaling["minReplicas"] == 0 and plan.environment.autoscaler != "keda":
        yield plan.locate("scaling", "minReplicas").diagnostic(
            STEP, "minReplicas 0 (scale to zero) is not possible with a "
            "HorizontalPodAutoscaler on GKE",
            "use minReplicas: 1, or `autoscaler: keda` on the Platform's environment")
    elif scaling["minReplicas"] == 0 and autoscaling.autoscaled(plan.spec):
        yield plan.locate("scaling", "minReplicas").diagnostic(
            STEP, "at zero replicas the engine's own metrics are gone, so they cannot wake "
            "the model up again", "add a trigger on requests queued outside the pods (for "
            "example the KEDA HTTP add-on), or keep minReplicas: 1", "warning")


def load_signals(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """Every scaling signal is one the engine and accelerator provide, with a target."""
    if not autoscaling.autoscaled(plan.spec):
        return
    name = plan.spec["server"]["engine"]
    engine = engine_for(plan.spec, catalog)
    signals = autoscaling.signals(plan.spec)
    where = plan.locate("scaling", "metric")
    for signal in signals:
        if signal == autoscaling.CPU:
            yield where.diagnostic(
                STEP, "cpu is a poor load signal for an accelerator-bound server: it is busy "
                "while the model loads and idle while the accelerator works",
                "scale on queue-size", "warning")
        elif signal == autoscaling.GPU:
            if catalog.accelerator_kind(plan.spec["accelerator"].get("type", "none")) != "gpu":
                yield where.diagnostic(STEP, "gpu-utilization needs a GPU accelerator")
            elif plan.spec["accelerator"].get("sharing"):
                yield where.diagnostic(
                    STEP, "gpu-utilization measures the whole GPU, which sharing splits "
                    "between models", "scale on queue-size")
        elif signal not in engine["loadSignals"]:
            hint = ("name the metric in server.metrics" if name == "custom" else
                    "choose one of: " + ", ".join([*sorted(engine["loadSignals"]), "none"]))
            yield where.diagnostic(STEP, f"engine {name} has no {signal} metric", hint)
    given = plan.spec["scaling"].get("target")
    if isinstance(given, (int, float)) and len(signals) > 1:
        yield plan.locate("scaling", "target").diagnostic(
            STEP, f"one target for {len(signals)} metrics",
            "give one per metric, for example `target: {" + ", ".join(
                f"{s}: ..." for s in signals) + "}`")
    if isinstance(given, dict):
        for signal in given:
            if signal not in signals:
                yield plan.locate("scaling", "target", signal).diagnostic(
                    STEP, f"a target for {signal}, which scaling.metric does not use")
    for signal, target in autoscaling.targets(plan.spec, engine, catalog).items():
        if target is None and (signal in engine["loadSignals"]):
            yield plan.locate("scaling", "target").diagnostic(
                STEP, f"scaling on engine {name}'s {signal} needs scaling.target",
                "the per-pod value of the metric at which to add a replica")


PLAN_RULES: tuple[PlanRule, ...] = (
    portable_target, accelerator_given, model_source_form, topology_for_tpus,
    accelerator_shape, engine_accelerator, engine_settings, gpu_dtype, memory_fits,
    resources_fit, capacity_choices, tensor_parallel_power_of_two, replica_bounds,
    load_signals, monitoring_settings, image_pinned, gateway_reaches_pods,
)


def check_plan(plan: Plan, catalog: Catalog) -> list[Diagnostic]:
    return [d for rule in PLAN_RULES for d in rule(plan, catalog)]
