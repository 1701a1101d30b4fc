"""The compiler from specs to a tree of manifests, step by step:
load -> schema -> resolve -> check -> build -> verify -> (serialize).

Pure: reads the spec files, returns diagnostics and the tree as text. Every problem of a
step is collected; the pipeline stops between steps, never inside one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator import checks, fleet, validate
from generator.build import build
from generator.catalog import Catalog
from generator.diagnostics import Diagnostic, errors
from generator.load import Source, load
from generator.model import Plan, Platform
from generator.resolve import plans_for, platform_from
from generator.verify import verify
from generator.write import serialize


@dataclass
class Outcome:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    tree: dict[str, str] | None = None  # path inside the output folder -> text
    bug: bool = False  # the generator, not the specs, is at fault

    @property
    def failed(self) -> bool:
        return bool(errors(self.diagnostics)) or self.tree is None


def _with_platform(sources: list[Source], fallback: Path | None) -> list[Source]:
    """Validating single files still needs the Platform for cross-checks: take the one in
    the specs folder when the files given hold none."""
    if any(s.kind == "Platform" for s in sources) or fallback is None or not fallback.is_dir():
        return sources
    extra, _ = load([fallback])
    return sources + [s for s in extra if s.kind == "Platform"]


def _plans(platform: Platform, models: list[Source],
           catalog: Catalog) -> tuple[list[Plan], list[Diagnostic]]:
    problems = list(checks.environment_names(platform)) + list(checks.config_sync_auth(platform))
    problems += checks.no_inline_secrets(platform.source)
    plans: list[Plan] = []
    for source in models:
        found = list(checks.model_environments(source, platform))
        found += checks.model_labels(source)
        found += checks.no_inline_secrets(source)
        problems += found
        if not errors(found):
            plans += plans_for(source, platform, catalog)
    problems += checks.unique_names(plans)
    for plan in plans:
        problems += checks.check_plan(plan, catalog)
        problems += fleet.cluster_selection(plan)
    return plans, problems


def compile_specs(paths: list[Path], out: str, catalog: Catalog,
                  platform_fallback: Path | None = None, *,
                  allow_empty: Collection[str] | None = None,
                  extra: Sequence[Source] = (),
                  progress: Callable[[str], None] | None = None) -> Outcome:
    """`allow_empty` None validates (an empty root is a warning); a collection renders
    (an empty root is an error unless its environment is in it). `extra` are documents not
    on disk yet (`infergen new`); `progress` hears the name of each step as it starts."""
    outcome = Outcome()
    step = progress or (lambda name: None)
    step("load")
    sources, outcome.diagnostics = load(paths)
    sources = _with_platform(sources, platform_fallback) + list(extra)

    step("validate")

    valid: list[Source] = []
    for source in sources:
        found = validate.check(source)
        outcome.diagnostics += found
        if not found:
            valid.append(source)
    if errors(outcome.diagnostics) and not any(s.kind == "Platform" for s in valid):
        return outcome  # a broken or missing file could be the Platform: no guessing
    platforms = [s for s in sources if s.kind == "Platform"]
    models = [s for s in valid if s.kind == "ModelDeployment"]
    outcome.diagnostics += checks.platform_count(platforms, ", ".join(
        os.path.relpath(p) for p in paths))
    if len(platforms) != 1 or platforms[0] not in valid:
        return outcome

    step("check")
    platform = platform_from(platforms[0])
    plans, problems = _plans(platform, models, catalog)
    outcome.diagnostics += problems
    outcome.diagnostics += fleet.allow_empty_names(platform, allow_empty or ())
    if errors(outcome.diagnostics):
        return outcome
    outcome.diagnostics += fleet.empty_roots(platform, plans, out, allow_empty)
    if errors(outcome.diagnostics):
        return outcome

    step("build")
    rendered = build(plans, platform, catalog)
    outcome.diagnostics += fleet.object_counts(rendered, platform, catalog)
    if errors(outcome.diagnostics):
        return outcome
    step("verify")
    bugs = verify(rendered, platform.kubernetes_version, out)
    outcome.diagnostics += bugs
    if bugs:
        outcome.bug = True
        return outcome
    outcome.tree = serialize(rendered)
    return outcome
