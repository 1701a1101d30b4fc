"""Rules from the engine contracts (catalog/engine_contracts.py): what a user adds in server.args
and server.env must not fight what infergen derives, and the engine's image must run on
the accelerator's nodes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from generator.catalog import Catalog
from generator.catalog.engine_contracts import Contract, contract, split_args
from generator.catalog.engine_entry import Engine
from generator.checks.common import STEP, valid_shape
from generator.diagnostics import Diagnostic
from generator.plan import model_source
from generator.plan.engine import home_env
from generator.plan.records import Plan

POD_USER = "infergen (the pod's user and home, gke.yaml podSecurity)"
CACHE = "infergen (the model cache on an emptyDir)"


# What infergen renders into the engine container for a plan, without the user's own args
# and env: the flags, and the env by name. The orchestrator passes the builder's answer in
# (objects.engines.derived_settings), so this step never imports the next one.
DerivedSettings = Callable[[Plan, Catalog], tuple[list[str], dict[str, str]]]


def _buildable(plan: Plan, catalog: Catalog) -> bool:
    """The engine container can be derived: the rules it relies on pass."""
    name = plan.spec["server"]["engine"]
    engine, parsed = plan.facts.engine, plan.facts.source
    if engine is None or valid_shape(plan, catalog) is None:
        return False
    return (parsed is not None and model_source.kind(parsed) in engine.sources
            and plan.spec["model"]["dtype"] in engine.dtype_args
            and (name != "custom" or bool(plan.spec["server"].get("image"))))


def _runs_here(plan: Plan, catalog: Catalog) -> bool:
    """The engine runs on the spec's kind of accelerator (engine_accelerator says if not)."""
    kind = catalog.accelerator_kind(plan.spec["accelerator"].get("type", "none"))
    return kind in catalog.engines[plan.spec["server"]["engine"]].accelerators


def _owners(engine: Engine, catalog: Catalog) -> dict[str, str]:
    owners = {e["name"]: POD_USER for e in home_env(catalog)}
    owners.update({name: CACHE for name in engine.cache_env or {}})
    owners.update({name: "infergen (the engine's variant in the catalog)"
                   for name in engine.env or {}})
    if engine.token_env is not None:
        owners[engine.token_env] = "spec.model.tokenSecret"
    owners.update(engine.owns)
    return owners


def _owner_text(name: str, owner: str) -> str:
    return f"{name} is set from {owner}" if owner.startswith("spec.") else \
        f"{name} is set by {owner}"


def _contract_of(plan: Plan) -> Contract | None:
    """The contract of the plan's engine on its accelerator: a variant may pin another
    release (vLLM's TPU image, catalog `contract`)."""
    name = plan.spec["server"]["engine"]
    return contract((plan.facts.engine and plan.facts.engine.contract) or name)


def server_overrides(plan: Plan, catalog: Catalog,
                     derive: DerivedSettings) -> Iterator[Diagnostic]:
    """server.args and server.env add to what infergen derives; they never set a derived
    setting again, under its own name or an alias, and flags are the engine's own."""
    server = plan.spec["server"]
    name = server["engine"]
    terms = _contract_of(plan)
    if not _buildable(plan, catalog):
        return  # other rules say why; the derived settings are unknown until then
    owners = _owners(plan.facts.checked_engine, catalog)
    flags, env = derive(plan, catalog)
    key = terms.key if terms is not None else (lambda n: n)
    owned: dict[str, str] = {}
    for derived in [*flags, *env, *owners]:
        owned.setdefault(key(derived), derived)
    args = list(server.get("args", []))
    seen: dict[str, int] = {}
    for index, flag, _ in split_args(args):
        where = plan.locate("server", "args", index)
        yield from _one_setting(where, key(flag), flag, owned, owners, "server.args")
        if terms is None or key(flag) in owned:
            continue
        if key(flag) in seen:
            outcome = "exits" if terms.repeat_is_error else "silently keeps the last"
            yield where.diagnostic(
                STEP, f"{flag} is given twice in server.args: engine {name} {outcome}",
                "give it once")
        seen.setdefault(key(flag), index)
        if not terms.known(flag):
            guess = terms.suggestion(flag)
            fatal = " (the engine exits on an unknown flag)" if terms.unknown_fatal else ""
            yield where.diagnostic(
                STEP, f"{flag} is not a flag of {name} {terms.version}{fatal}",
                f"did you mean {guess}?" if guess else f"see {name}'s own flag list",
                "error" if terms.unknown_fatal else "warning")
    for env_name in sorted(server.get("env", {})):
        where = plan.locate("server", "env", env_name)
        yield from _one_setting(where, key(env_name), env_name, owned, owners, "server.env")
    if terms is not None:
        yield from _exclusive(plan, terms, flags, env, args, set(owned))


def _one_setting(where: Any, canonical: str, given: str, owned: dict[str, str],
                 owners: dict[str, str], field: str) -> Iterator[Diagnostic]:
    if canonical not in owned:
        return
    derived = owned[canonical]
    owner = owners.get(derived, "infergen for this spec")
    same = "" if derived == given else f" ({given} is another name for {derived})"
    yield where.diagnostic(
        STEP, f"{given} in {field} sets what infergen derives{same}",
        _owner_text(derived, owner) + ("; change that field instead"
                                       if owner.startswith("spec.") else "; remove it"))


def _exclusive(plan: Plan, terms: Contract, flags: list[str], env: dict[str, str],
               args: list[str], owned: set[str]) -> Iterator[Diagnostic]:
    """A user setting that the engine refuses next to a derived one (TGI: SHARDED next to
    NUM_SHARD, DTYPE next to QUANTIZE, ...)."""
    derived = {terms.key(n) for n in [*flags, *env]}
    user_env = plan.spec["server"].get("env", {})
    given = {terms.key(n): ("env", n) for n in user_env}
    given.update({terms.key(f): ("args", i) for i, f, _ in split_args(args)})
    for rule in terms.exclusive:
        first, second = (terms.key(n) for n in rule["names"])
        for mine, theirs in ((first, second), (second, first)):
            if mine in given and theirs in derived and mine not in owned:  # else said
                kind, at = given[mine]
                where = plan.locate("server", kind, at)
                yield where.diagnostic(
                    STEP, f"{rule['names'][0]} and {rule['names'][1]} cannot be set together "
                    f"on {terms.engine} {terms.version}: {rule['reason']}",
                    f"remove it: infergen sets {theirs}")
    for rule in terms.raw.get("atLeast", []):
        value = user_env.get(rule["name"])
        floor = env.get(rule["than"])
        if value is None or floor is None or not str(value).isdigit() or not floor.isdigit():
            continue
        if int(value) < int(floor):
            yield plan.locate("server", "env", rule["name"]).diagnostic(
                STEP, f"{rule['name']}={value} is below {rule['than']}={floor}, which infergen "
                f"derives from spec.model.maxModelLength: {terms.engine} {terms.version} exits",
                f"set it to at least {floor}, or remove it")


def image_architecture(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """The engine's image is built for the accelerator's node architecture."""
    name = plan.spec["server"]["engine"]
    accelerator = plan.spec["accelerator"].get("type")
    terms = _contract_of(plan)
    gpu = catalog.gpus.get(accelerator or "")
    if terms is None or gpu is None or plan.layer_of("server", "image") >= 0:
        return  # a user's own image may well be multi-arch
    if gpu.architecture not in terms.architectures:
        yield plan.locate("accelerator", "type").diagnostic(
            STEP, f"{accelerator} nodes are {gpu.architecture}, and engine {name}'s pinned "
            f"image is built for {', '.join(sorted(terms.architectures))} only: the pod "
            "cannot pull it", f"choose an {', '.join(sorted(terms.architectures))} GPU, or "
            f"give server.image an image of {name} built for {gpu.architecture}")


QUANTIZED = ("fp8", "int8", "int4")


def quantized_checkpoint(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """A quantized dtype is either a pre-quantized checkpoint the engine reads as it is, or
    a quantization the engine applies at load; the two are never confused."""
    name, engine = plan.spec["server"]["engine"], plan.facts.engine
    if engine is None:
        return
    model = plan.spec["model"]
    dtype = model["dtype"]
    if model.get("preQuantized"):
        if not engine.checkpoint_quantization:
            yield plan.locate("model", "preQuantized").diagnostic(
                STEP, f"engine {name} does not load pre-quantized checkpoints",
                "use " + ", ".join(n for n, e in catalog.engines.items()
                                   if e.checkpoint_quantization))
        elif dtype not in QUANTIZED:
            yield plan.locate("model", "dtype").diagnostic(
                STEP, f"a pre-quantized checkpoint is not {dtype}",
                "give its precision: one of " + ", ".join(QUANTIZED))
        return
    online = engine.online_quantization
    if online is not None and dtype in QUANTIZED and dtype not in online:
        yield plan.locate("model", "dtype").diagnostic(
            STEP, f"engine {name} does not quantize a checkpoint to {dtype} at load "
            f"(only to {', '.join(online)})",
            f"for a checkpoint already quantized to {dtype} (AWQ, GPTQ, ...) set "
            f"model.preQuantized: true; else use {', '.join(online)}")


def gpu_sharing(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """A time-shared or MPS GPU only for engines whose memory infergen can cap."""
    name = plan.spec["server"]["engine"]
    sharing = plan.spec["accelerator"].get("sharing") or {}
    if name not in catalog.engines or sharing.get("strategy") in (None, "mig"):
        return
    if catalog.engines[name].gpu_sharing is False:
        yield plan.locate("accelerator", "sharing").diagnostic(
            STEP, f"engine {name} takes most of a GPU's memory and infergen cannot cap it: "
            f"a second client on a {sharing['strategy']} GPU runs out of memory",
            "use MIG, or a GPU of its own")


def model_id_served(plan: Plan, catalog: Catalog) -> Iterator[Diagnostic]:
    """Engines that serve a fixed list of models (JetStream PyTorch) get one of them, at
    no pinned revision (it has no revision flag)."""
    name = plan.spec["server"]["engine"]
    terms = _contract_of(plan)
    if terms is None or "modelIds" not in terms.raw or not _runs_here(plan, catalog):
        return
    source = plan.facts.source
    if isinstance(source, model_source.HuggingFace):
        model_id = source.repo
        if source.revision:
            yield plan.locate("model", "source").diagnostic(
                STEP, f"engine {name} {terms.version} cannot pin a Hugging Face revision "
                "(it has no revision flag)", f"use hf://{source.repo}")
    elif isinstance(source, model_source.CloudStorage):
        if source.path.count("/") < 1:
            yield plan.locate("model", "source").diagnostic(
                STEP, f"engine {name} reads a bucket laid out as its download cache",
                "gs://BUCKET/[PREFIX/]ORG/NAME, with ORG/NAME/hf_original/ holding the "
                "safetensors, *.json and tokenizer.model")
            return
        model_id = model_source.repo_id(source)
    else:
        return
    if model_id not in terms.raw["modelIds"]:
        yield plan.locate("model", "source").diagnostic(
            STEP, f"engine {name} {terms.version} does not serve {model_id}: it serves only "
            f"{len(terms.raw['modelIds'])} models", "one of: " + ", ".join(terms.raw["modelIds"]))
