"""Step 4: semantic checks across fields, files and environments.

Two registries of small rules, one function each with a one-line docstring: rules over the
whole set of inputs (names, environments, clusters, secrets; see `inputs` and `secrets`)
and rules over one Plan, a model in an environment (`accelerators`, `engines`,
`operations`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from generator.catalog import Catalog
from generator.checks.accelerators import (
    accelerator_given,
    accelerator_shape,
    capacity_choices,
    driver_version,
    gpu_dtype,
    memory_fits,
    parallel_layout,
    resources_fit,
    tensor_parallel_power_of_two,
    topology_for_tpus,
)
from generator.checks.common import STEP
from generator.checks.contracts import (
    gpu_sharing,
    image_architecture,
    model_id_served,
    quantized_checkpoint,
    server_overrides,
)
from generator.checks.engines import (
    engine_accelerator,
    engine_settings,
    image_pinned,
    model_source_form,
    runtime_adapter_source,
    served_name_option,
)
from generator.checks.inputs import (
    config_sync_auth,
    environment_names,
    model_environments,
    model_labels,
    model_namespace,
    platform_count,
    unique_names,
)
from generator.checks.maxtext import (
    maxtext_args,
    maxtext_settings,
    pathways_fields,
    pathways_identity,
    pathways_replicas,
    pathways_slice,
)
from generator.checks.operations import (
    derived_names,
    gateway_reaches_pods,
    load_signals,
    monitoring_settings,
    portable_target,
    replica_bounds,
)
from generator.checks.safeguards import device_isolation_kept, network_opt_out_reason
from generator.checks.secrets import named_by_a_credential, no_inline_secrets, redact
from generator.checks.storage import cache_choice, file_cache_bounded
from generator.checks.volumes import extra_volumes
from generator.diagnostics import Diagnostic
from generator.plan.records import Plan

PlanRule = Callable[[Plan, Catalog], Iterable[Diagnostic]]

PLAN_RULES: tuple[PlanRule, ...] = (
    portable_target, accelerator_given, model_source_form, topology_for_tpus,
    accelerator_shape, engine_accelerator, engine_settings, gpu_dtype, memory_fits,
    resources_fit, capacity_choices, tensor_parallel_power_of_two, replica_bounds,
    load_signals, monitoring_settings, image_pinned, gateway_reaches_pods,
    image_architecture, quantized_checkpoint, gpu_sharing, model_id_served,
    file_cache_bounded, pathways_fields, pathways_slice, maxtext_settings, maxtext_args,
    pathways_replicas, pathways_identity, served_name_option, cache_choice, parallel_layout,
    driver_version, runtime_adapter_source, derived_names, network_opt_out_reason,
    device_isolation_kept,
)


def check_plan(plan: Plan, catalog: Catalog) -> list[Diagnostic]:
    return [d for rule in PLAN_RULES for d in rule(plan, catalog)]


__all__ = [
    "STEP", "PLAN_RULES", "check_plan", "config_sync_auth", "environment_names",
    "extra_volumes", "model_environments", "model_labels", "model_namespace",
    "named_by_a_credential", "no_inline_secrets", "platform_count", "redact", "server_overrides",
    "unique_names",
]
