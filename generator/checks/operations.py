"""Rules about scaling, monitoring, routing and where the model runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.catalog import Catalog, GkeOnly
from generator.checks.common import STEP
from generator.diagnostics import Diagnostic, Location
from generator.output.sharding import TENANCY_NAMESPACE
from generator.plan import autoscaling, model_source, names
from generator.plan.autoscaling import seconds
from generator.plan.records import Plan
from generator.plan.target import portable, uses_keda


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
    if scaling["minReplicas"] == 0 and not uses_keda(plan):
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
    engine = plan.facts.checked_engine
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
        elif signal not in engine.load_signals:
            hint = ("name the metric in server.metrics" if name == "custom" else
                    "choose one of: " + ", ".join([*sorted(engine.load_signals), "none"]))
            why = f" ({engine.no_metrics})" if engine.no_metrics is not None else ""
            yield where.diagnostic(STEP, f"engine {name} has no {signal} metric{why}", hint)
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
        if target is None and (signal in engine.load_signals):
            yield plan.locate("scaling", "target").diagnostic(
                STEP, f"scaling on engine {name}'s {signal} needs scaling.target",
                "the per-pod value of the metric at which to add a replica")


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
    if "slo" in monitoring:
        yield from _slo_settings(plan, catalog)


def _slo_settings(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """An SLO reads series the engine exports, at a boundary its histogram has, with a
    budget its burn-rate alerts can ever exceed."""
    slo, engine = plan.spec["monitoring"]["slo"], plan.facts.checked_engine
    name = plan.spec["server"]["engine"]
    if not plan.spec["monitoring"]["enabled"]:
        yield plan.locate("monitoring", "slo").diagnostic(
            STEP, "the SLO reads the metrics that monitoring.enabled: false stops collecting",
            "enable monitoring, or remove monitoring.slo")
        return
    if "availabilityTarget" in slo and engine.alerts.errors is None:
        yield plan.locate("monitoring", "slo", "availabilityTarget").diagnostic(
            STEP, f"engine {name} counts no failed requests to measure availability by",
            "remove availabilityTarget, or use an engine that counts them (vllm, tgi, tei)")
    latency = engine.alerts.latency
    if "latencySeconds" in slo:
        if latency is None or not latency.buckets:
            yield plan.locate("monitoring", "slo", "latencySeconds").diagnostic(
                STEP, f"engine {name} exports no latency histogram whose bucket boundaries "
                "infergen knows", "remove latencySeconds and latencyTarget")
        elif latency.boundary(slo["latencySeconds"]) is None:
            near = sorted(latency.buckets, key=lambda b: abs(float(b) - slo["latencySeconds"]))
            yield plan.locate("monitoring", "slo", "latencySeconds").diagnostic(
                STEP, f"{slo['latencySeconds']:g} s is no bucket boundary of "
                f"{latency.histogram}", f"use one of its boundaries, such as "
                f"{' or '.join(sorted(near[:2], key=float))}")
    fastest = max(rate.factor for rate in catalog.observability.slo.burn_rates)
    for key in ("latencyTarget", "availabilityTarget"):
        if key in slo and fastest * (1 - slo[key]) >= 1:
            yield plan.locate("monitoring", "slo", key).diagnostic(
                STEP, f"a target of {slo[key]:g} leaves a budget the {fastest:g}x burn-rate "
                "alert can never exceed", f"use a target above {1 - 1 / fastest:.3f}")


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


def derived_names(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """Every name infergen derives from a model's (the table in plan/names.py) fits its
    Kubernetes limit and collides with no other model's, and the namespace fits its
    RepoSync's: refused here, at the spec, never found later in the generated files."""
    where = plan.source.document.locate(("metadata", "name"))
    table = names.derived(catalog)
    for owner in table:
        if owner.suffix and plan.name.endswith(owner.suffix):
            yield where.diagnostic(
                STEP, f"a model's name may not end in {owner.suffix!r}: infergen names "
                f"{owner.what} of the model {plan.name.removesuffix(owner.suffix)!r} so "
                f"({owner.note})", f"rename it, for example {plan.name}-model")
    for owner in table:
        name = plan.name + owner.suffix
        if not owner.when(plan.spec):
            continue
        if len(name) > owner.limit:
            yield where.diagnostic(
                STEP, f"name is {len(plan.name)} characters: {owner.note}, {owner.what}'s "
                f"{owner.kinds[0]}, {name[:12]}...{owner.suffix}, would be longer than "
                f"{owner.limit}", f"use at most {owner.limit - len(owner.suffix)} characters")
        elif owner.service and not names.DNS1035.match(name):
            yield where.diagnostic(
                STEP, f"name {plan.name!r} starts with a digit, and {owner.what}'s Service "
                f"is named {name!r}: a Service's name must start with a letter (a DNS-1035 "
                "label)", f"rename it, for example m-{plan.name}")
            break
    if plan.facts.shape is not None and plan.facts.shape.multi_host:  # else: shape's rule
        yield from _worker_statefulsets(plan, where)
    yield from _tenant_namespace(plan, catalog)


def _worker_statefulsets(plan: Plan, where: Location) -> Iterator[Diagnostic]:
    """A multi-host model's worker StatefulSets (plan/names.py): their pods' revision label
    fits a label, and no other multi-host model's worker StatefulSet has its name."""
    if names.GROUP_SUFFIX.search(plan.name):
        yield where.diagnostic(
            STEP, f"a multi-host model's name may not end in a number: LeaderWorkerSet names "
            f"the workers of group {plan.name.rsplit('-', 1)[1]} of the model "
            f"{plan.name.rsplit('-', 1)[0]!r} so", f"rename it, for example {plan.name}-model")
    label = names.revision_label(plan.name, plan.spec)
    if len(label) > names.LABEL_LENGTH:
        spare = len(label) - len(plan.name)
        yield where.diagnostic(
            STEP, f"name is {len(plan.name)} characters: with {names.groups(plan.spec)} "
            f"LeaderWorkerSet groups, the label controller-revision-hash of a worker pod, "
            f"{plan.name[:12]}...{label[len(plan.name):]}, would be longer than "
            f"{names.LABEL_LENGTH}", f"use at most {names.LABEL_LENGTH - spare} characters")


def _tenant_namespace(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """tenancy: namespace names the namespace's reconciler after it (Config Sync's limit on
    RepoSync name + namespace, catalog gke.yaml repoSync)."""
    if plan.environment.tenancy != TENANCY_NAMESPACE:
        return
    facts = catalog.gke.config_sync.repo_sync
    longest = facts.max_name_and_namespace - len(facts.name)
    if len(plan.namespace) > longest:
        yield plan.source.document.locate(("metadata", "namespace")).diagnostic(
            STEP, f"namespace {plan.namespace!r} is longer than the {longest} characters a "
            f"RepoSync's namespace may have (environment {plan.environment.name!r} has "
            "tenancy: namespace)", "choose a shorter namespace, or tenancy: root")


# Contract fields that a later release implements. Until then a spec using them is refused,
# never silently rendered without them.
def portable_target(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """A portable environment (target: kubernetes) uses nothing only GKE has (the fields
    are a table: catalog/kubernetes.yaml gkeOnly)."""
    if not portable(plan):
        return
    found: list[tuple[tuple[str | int, ...], str]] = []
    for field in catalog.kubernetes.gke_only:
        if _needs_gke(plan.spec, field, catalog):
            value = _at(plan.spec, field.path)
            shown = ", ".join(value) if isinstance(value, list) else str(value)
            found.append((field.path, field.feature.replace("{value}", shown)))
    for path, feature in found:
        yield plan.locate(*path).diagnostic(
            STEP, f"{feature} is GKE-only, but environment {plan.environment.name} targets "
            "plain Kubernetes", "override it in spec.environments for that environment, or "
            "leave the environment out of deployTo")


def _at(spec: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = spec
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _needs_gke(spec: dict[str, Any], field: GkeOnly, catalog: Catalog) -> bool:
    """Whether the spec's value of the field needs GKE."""
    value = _at(spec, field.path)
    if field.when == "set":
        return bool(value)
    if field.when == "other-than":
        return value is not None and list(value) != list(field.default)
    if field.when == "tpu":
        return catalog.accelerator_kind(value or "none") == "tpu"
    if field.when == "gcs":
        sources = [value, *(a["source"] for a in spec["model"].get("adapters", []))]
        return any(isinstance(model_source.parse(s), model_source.CloudStorage)
                   for s in sources)
    return field.signal in autoscaling.signals(spec)  # signal
