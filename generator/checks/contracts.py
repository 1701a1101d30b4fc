"""Rules from the engine contracts (catalog/engine_contracts.py): what a user adds in server.args
and server.env is what the pinned engine's own parser accepts, and never fights what infergen
derives for this spec; the engine's image must run on the accelerator's nodes."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from generator.catalog import Catalog
from generator.catalog.engine_contracts import (
    CLAP,
    Contract,
    Given,
    contract,
    read_args,
    same_value,
    split_args,
)
from generator.catalog.engine_entry import Engine
from generator.checks.common import STEP, valid_shape
from generator.diagnostics import Diagnostic
from generator.plan import model_source
from generator.plan.engine import home_env, replaced_env
from generator.plan.memory_fit import MEMORY_FRACTION_OWNER
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


# A setting infergen derives only under time-sharing or MPS (the memory fraction): on any
# other GPU no field can express it, so it is the user's to tune, and the memory-fit check
# reads it (memory_fit.user_fraction).
ONLY_WHEN_DERIVED = MEMORY_FRACTION_OWNER


def server_overrides(plan: Plan, catalog: Catalog,
                     derive: DerivedSettings) -> Iterator[Diagnostic]:
    """server.args and server.env add to what infergen derives. Each argument is read the way
    the pinned engine's own parser reads it (engine_contracts.read_args): what the engine
    refuses at start is refused here, at its line. A setting this spec's render derives is
    never set again, under its own name or an alias; the same value is only redundant."""
    server = plan.spec["server"]
    terms = _contract_of(plan)
    if not _buildable(plan, catalog):
        return  # other rules say why; the derived settings are unknown until then
    owners = _owners(plan.facts.checked_engine, catalog)
    derived_args, env = derive(plan, catalog)
    key = terms.key if terms is not None else (lambda n: n)
    derived: dict[str, tuple[str, str | None]] = {}
    if terms is not None:
        for given in read_args(terms, derived_args):
            if given.option is not None:
                derived.setdefault(key(given.text), (given.text, given.value))
    else:
        derived.update({key(f): (f, v) for _, f, v in split_args(derived_args)})
    for name, value in env.items():
        derived.setdefault(key(name), (name, value))
    engine = plan.facts.checked_engine
    owned = {key(name): name for name, owner in owners.items()
             if owner != ONLY_WHEN_DERIVED and name not in _users_unless_derived(plan, engine)}
    replaceable = replaced_env(plan.spec, engine, env, key)
    own_image = plan.layer_of("server", "image") >= 0
    args = list(server.get("args", []))
    user_env = server.get("env", {})
    seen: dict[str, Given] = {}
    for given in read_args(terms, args) if terms is not None else _free_args(args):
        where = plan.locate("server", "args", given.index)
        if given.problem is not None:
            message, hint = given.problem
            guess = terms.suggestion(given.text) if terms is not None and given.unknown else None
            if guess is not None and key(guess) in derived:
                name = derived[key(guess)][0]
                hint = (f"{guess} would set {name}, which infergen derives: "
                        f"{_owner_text(name, owners.get(name, 'infergen for this spec'))}")
            unsure = given.unknown and own_image
            yield where.diagnostic(
                STEP, message + (" (server.image replaces the catalog's image, whose options "
                                 "infergen cannot know)" if unsure else ""), hint,
                "warning" if unsure else "error")
            continue
        if given.option is None:
            continue
        canonical = key(given.text)
        yield from _one_setting(where, canonical, given.text, given.value, "server.args",
                                derived, owned, owners, terms, replaceable)
        if canonical in derived or canonical in owned:
            continue
        if given.option.deprecated:
            yield where.diagnostic(
                STEP, f"{given.text} is deprecated in {terms.label if terms else ''}",
                "see the engine's release notes for its successor", "warning")
        earlier = seen.get(canonical)
        if earlier is not None and given.option.repeat != "append":
            if given.option.repeat == "error" or (terms is not None and terms.parser == CLAP):
                yield where.diagnostic(
                    STEP, f"{given.text} is given twice in server.args: "
                    f"{terms.label if terms else 'the engine'} exits (the option may be "
                    "given once)", "give it once")
            else:
                yield where.diagnostic(
                    STEP, f"{given.text} is given twice in server.args: "
                    f"{terms.label if terms else 'the engine'} keeps the last",
                    "give it once", "warning")
        seen.setdefault(canonical, given)
    for env_name in sorted(user_env):
        where = plan.locate("server", "env", env_name)
        value = user_env[env_name]
        canonical = key(env_name)
        yield from _one_setting(where, canonical, env_name,
                                value if isinstance(value, str) else None, "server.env",
                                derived, owned, owners, terms, replaceable)
        if canonical in seen and canonical not in derived and canonical not in owned:
            yield where.diagnostic(
                STEP, f"{env_name} in server.env and {seen[canonical].text} in server.args "
                "are one setting: the flag silently wins", "give it once, in server.args or "
                "in server.env")
        if terms is not None:
            yield from _env_read(where, terms, env_name)
            option = terms.env_setting(env_name)
            if (option is not None and option.choices and isinstance(value, str)
                    and canonical not in derived and canonical not in owned
                    and value not in option.choices):
                yield where.diagnostic(  # clap checks an env value as it checks a flag's
                    STEP, f"{env_name}={value} is not a choice of {terms.label} (it exits)",
                    "one of: " + ", ".join(option.choices))
    if terms is not None:
        yield from _exclusive(plan, terms, derived_args, env, args, set(owned) | set(derived))
        yield from _conflicts(plan, terms, args)


def _users_unless_derived(plan: Plan, engine: Engine) -> set[str]:
    """Settings of `owns` that no field expresses for this spec unless its render derives
    them (catalog userUnlessDerived, and a pre-quantized checkpoint's method flag)."""
    names = set(engine.user_unless_derived)
    if plan.spec["model"].get("preQuantized") and engine.checkpoint_method is not None:
        names.add(engine.checkpoint_method)
    return names


def _free_args(args: list[str]) -> list[Given]:
    """A custom engine's args: options by name, nothing refused."""
    return [Given(i, f, None, v) for i, f, v in split_args(args)]


def _one_setting(where: Any, canonical: str, given: str, value: str | None, field: str,
                 derived: dict[str, tuple[str, str | None]], owned: dict[str, str],
                 owners: dict[str, str], terms: Contract | None,
                 replaceable: Mapping[str, str]) -> Iterator[Diagnostic]:
    """A user setting that infergen derives for this spec: the same value is redundant (a
    warning), another value is an error naming the field that sets it, unless the derived
    value is only infergen's default (`replaceable`): then the user's replaces it."""
    if canonical in replaceable:
        return
    if canonical in derived:
        name, mine = derived[canonical]
    elif canonical in owned:
        # the field is at the engine's default, so infergen renders nothing for it
        name, mine = owned[canonical], None
    else:
        return
    owner = owners.get(name) or next((o for n, o in owners.items()
                                      if terms is not None and terms.key(n) == canonical),
                                     "infergen for this spec")
    same = "" if name == given else f" ({given} is another name for {name})"
    expected = mine if canonical in derived else (
        terms.default_of(canonical) if terms is not None else None)
    if value is not None and expected is not None and same_value(value, expected):
        yield where.diagnostic(
            STEP, f"{given} in {field} repeats what infergen renders{same}: "
            f"{_owner_text(name, owner)}", "redundant, remove it", "warning")
        return
    yield where.diagnostic(
        STEP, f"{given} in {field} sets what infergen derives{same}",
        _owner_text(name, owner) + ("; change that field instead"
                                    if owner.startswith("spec.") else "; remove it"))


def _env_read(where: Any, terms: Contract, name: str) -> Iterator[Diagnostic]:
    """An engine env var (VLLM_*) the pinned release never reads."""
    if terms.env_prefix is None or not name.startswith(terms.env_prefix) \
            or name in terms.env_reads:
        return
    gone = terms.removed_env.get(name)
    hint = (f"removed in vLLM {'.'.join(gone['removedIn'].split('.')[:2])} (last read by "
            f"{gone['lastIn']})"
            + (f"; use {gone['successor']}" if gone.get("successor") else "")
            if gone else f"{terms.engine} {terms.version}'s vllm/envs.py has no such variable")
    yield where.diagnostic(STEP, f"{name} is ignored by {terms.label}", hint, "warning")


def _conflicts(plan: Plan, terms: Contract, args: list[str]) -> Iterator[Diagnostic]:
    """clap conflicts_with: two settings the engine refuses together (TEI --default-prompt
    and --default-prompt-name), from server.args or server.env."""
    given: dict[str, tuple[str, Any, str]] = {}
    for name in plan.spec["server"].get("env", {}):
        given.setdefault(terms.key(name), ("env", name, name))
    for one in read_args(terms, args):
        if one.option is not None:
            given[terms.key(one.text)] = ("args", one.index, one.text)
    for first, second in ((terms.key(a), terms.key(b)) for a, b in terms.conflicts):
        if first != second and first in given and second in given:
            (kind, at, name), other = given[second], given[first][2]
            yield plan.locate("server", kind, at).diagnostic(
                STEP, f"{name} and {other} cannot be given together: {terms.label} exits "
                "(clap conflicts_with)", "give one of them")


def _exclusive(plan: Plan, terms: Contract, derived_args: list[str], env: dict[str, str],
               args: list[str], owned: set[str]) -> Iterator[Diagnostic]:
    """A user setting that the engine refuses next to a derived one (TGI: SHARDED next to
    NUM_SHARD, DTYPE next to QUANTIZE, ...)."""
    derived = {terms.key(f) for _, f, _ in split_args(derived_args)} | {terms.key(n) for n in env}
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
                    f"on {terms.label}: {rule['reason']}",
                    f"remove it: infergen sets {theirs}")
    for rule in terms.raw.get("atLeast", []):
        value = user_env.get(rule["name"])
        floor = env.get(rule["than"])
        lowered = replaced_env(plan.spec, plan.facts.checked_engine, env, terms.key)
        if terms.key(rule["than"]) in lowered:  # the user's lower value is the floor
            floor = next(str(v) for n, v in user_env.items()
                         if terms.key(n) == terms.key(rule["than"]))
        if value is None or floor is None or not str(value).isdigit() or not floor.isdigit():
            continue
        unless = rule.get("unless")
        if unless is not None and str(user_env.get(unless["name"], "")) in unless["values"]:
            continue  # e.g. TGI chunks the prefill: the floor does not apply
        if int(value) < int(floor):
            yield plan.locate("server", "env", rule["name"]).diagnostic(
                STEP, f"{rule['name']}={value} is below {rule['than']}={floor}, which infergen "
                f"derives from spec.model.maxModelLength: {terms.label} exits",
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
