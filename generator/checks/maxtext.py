"""Rules of the jetstream-maxtext engine (JetStream with MaxText on Pathways): where it runs,
its server.maxtext and server.pathways settings, and its MaxText keys in server.args, each
against MaxText's own config at the pinned release (catalog/maxtext.py)."""

from __future__ import annotations

import difflib
import fnmatch
import math
from collections.abc import Iterator

from generator.catalog import Catalog
from generator.catalog.maxtext import maxtext
from generator.checks.common import STEP, valid_shape
from generator.diagnostics import Diagnostic
from generator.plan import model_source
from generator.plan.maxtext import parallelism
from generator.plan.records import Plan

FIELDS = ("maxtext", "pathways")


def _pathways(plan: Plan, catalog: Catalog) -> bool:
    engine = catalog.engines.get(plan.spec["server"]["engine"])
    return engine is not None and engine.pathways is not None


def pathways_fields(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """server.maxtext and server.pathways belong to a Pathways engine, which needs both."""
    server = plan.spec["server"]
    name = server["engine"]
    if not _pathways(plan, catalog):
        for field in FIELDS:
            if field in server:
                yield plan.locate("server", field).diagnostic(
                    STEP, f"server.{field} applies to engine jetstream-maxtext only",
                    f"remove it, or use engine jetstream-maxtext (not {name})")
        return
    if "maxtext" not in server:
        yield plan.locate("server").diagnostic(
            STEP, f"engine {name} needs server.maxtext.modelName",
            "the model's MaxText name, for example `maxtext: {modelName: llama3.1-405b}`")
    if "pathways" not in server:
        yield plan.locate("server").diagnostic(
            STEP, f"engine {name} needs a scratch bucket for Pathways: server.pathways.scratch",
            "for example `pathways: {scratch: gs://BUCKET/pathways}`, writable by "
            "identity.gcpServiceAccount")


def pathways_slice(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """A Pathways engine serves one replica across a multi-host TPU slice, and only there."""
    shape = valid_shape(plan, catalog)
    if not _pathways(plan, catalog) or shape is None or shape.kind != "tpu" or shape.multi_host:
        return
    tpu = catalog.tpus[shape.name]
    yield plan.locate("accelerator", "topology").diagnostic(
        STEP, f"engine {plan.spec['server']['engine']} spans the hosts of a multi-host TPU "
        f"slice; {plan.spec['accelerator'].get('topology')} is a single host",
        f"one of {', '.join(tpu.multi_host)}; on one host, use engine vllm or jetstream")


def maxtext_settings(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """modelName, config, parallelism and quantization are MaxText's own at the pin, and
    the ICI parallelism covers exactly the slice's chips."""
    settings = plan.spec["server"].get("maxtext")
    if not _pathways(plan, catalog) or settings is None:
        return
    terms = maxtext()
    name = settings.get("modelName")
    if name is not None and name not in terms.models:
        yield plan.locate("server", "maxtext", "modelName").diagnostic(
            STEP, f"MaxText {terms.version} knows no model {name!r}",
            _nearest(name, terms.models) + "one of: " + ", ".join(sorted(terms.models)))
    config = settings.get("config")
    if config is not None and config not in terms.configs:
        yield plan.locate("server", "maxtext", "config").diagnostic(
            STEP, f"{config} is not a config file of MaxText {terms.version}",
            _nearest(config, terms.configs) + "a path under MaxText/configs/")
    yield from _quantization(plan, settings.get("quantization"))
    if plan.spec["model"]["dtype"] == "int8" and not settings.get("quantization"):
        yield plan.locate("model", "dtype").diagnostic(
            STEP, "int8 weights need MaxText's quantization", "set server.maxtext."
            "quantization: int8 (and model.preQuantized for an int8 checkpoint)")
    yield from _parallelism(plan, catalog)


def _nearest(value: str, known: object) -> str:
    close = difflib.get_close_matches(value, sorted(known), n=1)  # type: ignore[call-overload]
    return f"did you mean {close[0]}? " if close else ""


def _quantization(plan: Plan, quantization: str | None) -> Iterator[Diagnostic]:
    terms = maxtext()
    if quantization is None:
        return
    where = plan.locate("server", "maxtext", "quantization")
    if quantization not in terms.quantizations:
        yield where.diagnostic(STEP, f"MaxText {terms.version} has no quantization "
                               f"{quantization!r}", "one of: " + ", ".join(terms.quantizations))
    elif quantization in terms.gpu_only_quantizations:
        tpu = [q for q in terms.quantizations if q not in terms.gpu_only_quantizations]
        yield where.diagnostic(STEP, f"MaxText's {quantization} quantization is for GPUs",
                               "on TPUs, one of: " + ", ".join(tpu))
    needed = terms.quantization_needs.get(quantization)
    if needed is not None and needed not in _user_keys(plan):
        yield where.diagnostic(STEP, f"quantization {quantization} needs MaxText's {needed}",
                               f"add `{needed}=<file>` to server.args")


def _parallelism(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    terms = maxtext()
    shape = valid_shape(plan, catalog)
    axes = plan.spec["server"]["maxtext"].get("parallelism", {})
    for axis in axes:
        if axis not in terms.spec_axes():
            yield plan.locate("server", "maxtext", "parallelism", axis).diagnostic(
                STEP, f"{axis} is not an ICI axis of MaxText {terms.version}",
                _nearest(axis, terms.spec_axes()) + "one of: " + ", ".join(terms.spec_axes()))
    if shape is None or shape.kind != "tpu" or not shape.multi_host:
        return
    chips = shape.devices * shape.hosts
    product = math.prod(parallelism(plan.spec, shape).values())
    if product != chips:
        written = " x ".join(f"{a} {n}" for a, n in axes.items())
        yield plan.locate("server", "maxtext", "parallelism").diagnostic(
            STEP, f"ICI parallelism {written} = {product}, but the "
            f"{plan.spec['accelerator']['topology']} slice has {chips} chips",
            f"make the product {chips}, for example ici_tensor: {min(chips, 8)}"
            + (f", ici_autoregressive: {chips // 8}" if chips > 8 else ""))


def _user_keys(plan: Plan) -> list[str]:
    return [arg.split("=", 1)[0] for arg in plan.spec["server"].get("args", []) if "=" in arg]


def maxtext_args(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """server.args are MaxText `key=value` settings: keys of its base.yml, none infergen
    derives, none the model's own config sets (MaxText refuses a key set twice)."""
    if not _pathways(plan, catalog):
        return
    terms = maxtext()
    owns = plan.facts.checked_engine.owns
    model_keys = terms.models.get(plan.spec["server"].get("maxtext", {}).get("modelName"),
                                  frozenset())
    for index, arg in enumerate(plan.spec["server"].get("args", [])):
        where = plan.locate("server", "args", index)
        key, sep, _ = arg.partition("=")
        if not sep or key.startswith("-"):
            yield where.diagnostic(STEP, f"{arg!r} is not a MaxText `key=value` setting",
                                   "MaxText reads its settings as key=value, for example "
                                   "enable_model_warmup=true")
            continue
        owner = next((o for pattern, o in owns.items() if fnmatch.fnmatchcase(key, pattern)),
                     None)
        if owner is not None:
            yield where.diagnostic(STEP, f"{key} is set from {owner}",
                                   "change that field instead" if owner.startswith("spec.")
                                   else "infergen sets it")
        elif key not in terms.keys:
            yield where.diagnostic(STEP, f"MaxText {terms.version} has no setting {key!r} (its "
                                   "command line takes only keys of configs/base.yml)",
                                   _nearest(key, terms.keys).removesuffix(" ")
                                   or "see MaxText/configs/base.yml at that release")
        elif key in model_keys:
            yield where.diagnostic(STEP, f"{key} is set by MaxText's config of the model, and "
                                   "MaxText refuses a key set there and on the command line",
                                   "remove it")


def pathways_replicas(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """A Pathways group never scales to zero: a slice takes many minutes to come back, and
    the load signals live on the group's own leader."""
    if _pathways(plan, catalog) and plan.spec["scaling"]["minReplicas"] == 0:
        yield plan.locate("scaling", "minReplicas").diagnostic(
            STEP, f"engine {plan.spec['server']['engine']} cannot scale to zero: its metrics "
            "are served by the group's leader, and a multi-host slice takes many minutes to "
            "provision and load again", "use minReplicas: 1")


def pathways_identity(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """The pods read the checkpoint and write the scratch bucket as some Google identity."""
    if not _pathways(plan, catalog) or plan.spec.get("identity", {}).get("gcpServiceAccount"):
        return
    source = plan.facts.source
    if isinstance(source, model_source.CloudStorage):
        yield plan.locate("model", "source").diagnostic(
            STEP, f"no identity.gcpServiceAccount: the pods reach gs://{source.bucket} and the "
            "scratch bucket as their Kubernetes ServiceAccount, through Workload Identity "
            "Federation", "set identity.gcpServiceAccount, or grant that principal read on "
            "the checkpoint and write on the scratch bucket", "warning")
