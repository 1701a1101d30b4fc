"""Command line: parse flags, call the pipeline, print, choose the exit code.

Exit codes: 0 success, 1 problems in the specs (or a stale tree with --check), 3 a bug in
infergen (with a traceback, because then it is useful).
"""

from __future__ import annotations

import datetime
import gc
import json
import sys
import traceback
from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from pathlib import Path
from typing import Any

import click

from generator import catalog as catalog_data
from generator import pipeline, roots
from generator.diagnostics import Diagnostic, format_all
from generator.diagnostics import errors as errors_of
from generator.output import sharding
from generator.output.publish import (
    EXIT_BUG,
    EXIT_OK,
    EXIT_PROBLEMS,
    exit_code,
    in_place,
    publish,
)
from generator.pipeline import Run, compile_specs
from generator.spec.schema_store import INPUT_KINDS, input_schema

format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
    show_default=True, help="How diagnostics are printed.")


def _report(diagnostics: list[Diagnostic], fmt: str) -> None:
    if diagnostics:
        click.echo(format_all(diagnostics, fmt), err=fmt == "text")


def _progress() -> Callable[[str], None]:
    """Step names on a terminal, so a long render shows it is alive; nothing in CI."""
    if not sys.stderr.isatty():
        return lambda step: None
    return lambda step: click.echo(f"infergen: {step}...", err=True)


def _guard(command: Callable[..., int]) -> Callable[..., None]:
    """Turn a command's return value into the exit code; an unexpected exception is a bug."""
    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        # A compile holds millions of long-lived objects (units, plans, texts) and makes
        # almost no reference cycles (reference counts free the rest): the cycle collector's
        # passes over them were 40% of a one-spec change at 10,000 specs and freed nothing.
        collecting = gc.isenabled()
        gc.disable()
        try:
            code = command(*args, **kwargs)
        except Exception:  # noqa: BLE001 - anything unexpected is infergen's fault
            traceback.print_exc()
            click.echo("infergen: internal error; this is a bug, please report it", err=True)
            code = EXIT_BUG
        finally:  # as it was, for a caller in the same process (tests); not when the
            # process ends next (see entry)
            if collecting and not _PROCESS["exiting"]:
                gc.enable()
        sys.exit(code)
    return run


# What a command still holds when the `infergen` process ends (see entry)
_HELD: list[object] = []
_PROCESS = {"exiting": False}  # True only in the `infergen` process itself, never in tests


def _hold(*objects: object) -> None:
    """Keep a command's large results alive until the process ends, so that they are never
    freed one by one (only in the `infergen` process: a test's process must free them)."""
    if _PROCESS["exiting"]:
        _HELD.extend(objects)


def entry() -> None:
    """The `infergen` process. A compile holds millions of objects; freeing them one by one
    at exit cost a second at 10,000 specs, and the last collection walked them all. So what
    a command holds stays in a list that holds itself (reference counting never frees it)
    and is frozen out of the collector's reach (gc.freeze): the process ends as any other,
    its atexit handlers (coverage, cProfile) run, and the memory goes back with it."""
    _PROCESS["exiting"] = True
    _HELD.append(_HELD)
    try:
        main()
    finally:
        gc.freeze()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="infergen")
def main() -> None:
    """Compile model-serving specs into Config Sync-ready GKE manifests."""


@main.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--specs", type=click.Path(path_type=Path), default=Path("specs"),
              show_default=True, help="Specs folder; its Platform is used for single files.")
@format_option
@_guard
def validate_command(paths: tuple[Path, ...], specs: Path, fmt: str) -> int:
    """Check specs (files or folders; default: the specs folder)."""
    outcome = compile_specs(list(paths) or [specs], "rendered", catalog_data.load(),
                            platform_fallback=specs)
    _report(outcome.diagnostics, fmt)
    return exit_code(outcome)


@main.command("render")
@click.option("--specs", type=click.Path(path_type=Path), default=Path("specs"),
              show_default=True, help="Folder of specs to compile.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("rendered"),
              show_default=True, help="Folder of the rendered tree.")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 listing the files that differ from the specs.")
@click.option("--allow-empty", "allow_empty", multiple=True, metavar="ENV",
              help="Let environment ENV's root become empty (Config Sync then deletes what it "
              "synced there). Repeatable.")
@click.option("--move", "start_moves", is_flag=True,
              help="Start the moves of a root's move plan: the models stay, unmanaged by "
              "Config Sync, until --complete-moves (commit in between).")
@click.option("--complete-moves", is_flag=True,
              help="Move the models --move left unmanaged into their new roots, once every "
              "cluster has synced the commit --move made.")
@format_option
@_guard
def render_command(specs: Path, out: Path, check: bool, allow_empty: tuple[str, ...],
                   start_moves: bool, complete_moves: bool, fmt: str) -> int:
    """Validate the specs, then write the rendered tree (each file atomically)."""
    if start_moves and complete_moves:
        raise click.UsageError("--move and --complete-moves take two commits: give one")
    moves = (sharding.START_MOVES if start_moves else
             sharding.COMPLETE_MOVES if complete_moves else sharding.NO_MOVES)
    run = Run((specs,), out.as_posix(), "render", frozenset(allow_empty), moves=moves)
    store = pipeline.store_for(out)
    catalog = catalog_data.load()
    outcome = pipeline.compile(run, catalog, store, _progress())
    if not in_place(outcome, out, check):  # a known run, whose tree is not there: the texts
        outcome = pipeline.compile(replace(run, reuse=False), catalog, store, _progress())
    _report(outcome.diagnostics, fmt)
    if outcome.roots and not outcome.failed:
        click.echo("\n".join(roots.summary(outcome.roots, out.as_posix())))
    published = publish(outcome, out, check)
    if published.keep:  # the store writes only once the tree is safe
        store.flush()
    _hold(outcome, store)
    return published.code


@main.command("schema")
@click.argument("kind", required=False, type=click.Choice(sorted(INPUT_KINDS)))
def schema_command(kind: str | None) -> None:
    """Print the JSON Schema of a spec kind (default: all, keyed by kind)."""
    if kind:
        click.echo(json.dumps(input_schema(kind), indent=2))
    else:
        click.echo(json.dumps({k: input_schema(k) for k in sorted(INPUT_KINDS)}, indent=2))


@main.command("explain")
@click.argument("field_path", metavar="FIELD.PATH")
@format_option
@_guard
def explain_command(field_path: str, fmt: str) -> int:
    """Describe a spec field, like `kubectl explain` (e.g. spec.accelerator.sharing,
    metadata.name, Platform.spec.environments)."""
    from generator.commands import explain  # each command imports only what it uses: fast start
    field, problems = explain.find(field_path)
    _report(problems, fmt)
    if field is None:
        return EXIT_PROBLEMS
    click.echo(explain.render(field), nl=False)
    return EXIT_OK


@main.command("new")
@click.argument("name")
@click.option("--engine", default="vllm", show_default=True, help="Serving engine.")
@click.option("--model", "source", required=True,
              help="Model source: hf://ORG/NAME[@REVISION], gs://BUCKET/PATH or oci://IMAGE.")
@click.option("--accelerator", required=True, metavar="TYPE[:COUNT]",
              help="e.g. nvidia-l4, nvidia-h100-80gb:8, tpu-v6e:2x4 (a TPU topology), none.")
@click.option("--parameters", help="Model size such as 8B: enables the memory-fit check.")
@click.option("--namespace", help="Namespace of the model (default: inference).")
@click.option("--specs", type=click.Path(path_type=Path), default=Path("specs"),
              show_default=True, help="Specs folder; the spec goes to SPECS/NAMESPACE/NAME.yaml.")
@format_option
@_guard
def new_command(name: str, engine: str, source: str, accelerator: str, parameters: str | None,
                namespace: str | None, specs: Path, fmt: str) -> int:
    """Write a minimal, validated spec for a new model (never overwrites one)."""
    from generator.commands import scaffold
    request = scaffold.Request(name, engine, source, accelerator, parameters, namespace, specs)
    made, problems = scaffold.draft(request)
    if made is None:
        _report(problems, fmt)
        return EXIT_PROBLEMS
    outcome = compile_specs([specs], "rendered", catalog_data.load(), extra=[made.source])
    # the rest of the folder's warnings are not news; its errors block the new spec too
    shown = [d for d in outcome.diagnostics
             if d.file == made.source.display or d.severity == "error"]
    _report(shown, fmt)
    if outcome.bug:
        return EXIT_BUG
    if outcome.failed:
        click.echo(f"infergen: {made.source.display} not written", err=True)
        return EXIT_PROBLEMS
    failed = scaffold.write(made.path, made.text)
    if failed is not None:
        _report([failed], fmt)
        return EXIT_PROBLEMS
    click.echo(f"infergen: wrote {made.source.display}; `make render` renders it")
    return EXIT_OK


def _capacity(ref: str, specs: Path, catalog: catalog_data.Catalog) -> dict[str, Any]:
    """`infergen diff`'s capacity sections: the plans at `ref` and in the working tree
    (both compiled clean already), priced."""
    from generator.catalog import prices as price_data
    from generator.commands import diff_capacity, gitref, pricing
    prices = price_data.load()
    _warn_stale(prices)
    old_platform, old_plans = gitref.plans_at(ref, specs, catalog)
    platform, plans = pricing.plans_in(specs, catalog)
    assert platform is not None  # the working tree compiled
    before = pricing.price_all(old_platform or platform, old_plans, catalog, prices)
    after = pricing.price_all(platform, plans, catalog, prices)
    return diff_capacity.compare(before, after, platform, prices)


def _warn_stale(prices: Any) -> None:
    """Old list prices are still shown, with a warning (stderr: never in a rendered file)."""
    warning = prices.staleness(datetime.datetime.now(datetime.UTC).date())
    if warning:
        click.echo(f"infergen: warning: {warning}", err=True)


@main.command("cost")
@click.option("--specs", type=click.Path(path_type=Path), default=Path("specs"),
              show_default=True, help="Folder of specs to price.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]),
              default="text", show_default=True, help="A table, Markdown, or JSON.")
@_guard
def cost_command(specs: Path, fmt: str) -> int:
    """The standing capacity and list price of the whole tree, per environment and
    namespace (a list-price estimate: rendered/ is not read)."""
    from generator.catalog import prices as price_data
    from generator.commands import cost, pricing
    catalog = catalog_data.load()
    outcome = compile_specs([specs], "rendered", catalog)
    _report(errors_of(outcome.diagnostics), "json" if fmt == "json" else "text")
    if outcome.failed:
        return exit_code(outcome)
    prices = price_data.load()
    _warn_stale(prices)
    platform, plans = pricing.plans_in(specs, catalog)
    assert platform is not None  # it compiled
    data = cost.report(platform, pricing.price_all(platform, plans, catalog, prices), prices)
    click.echo({"json": cost.as_json, "markdown": cost.markdown, "text": cost.text}[fmt](data),
               nl=fmt == "json")
    return EXIT_OK


@main.command("diff")
@click.option("--base", metavar="REF",
              help="Git revision to compare with (default: the merge base with origin/main, "
              "else HEAD).")
@click.option("--specs", type=click.Path(path_type=Path), default=Path("specs"),
              show_default=True, help="Folder of specs, in the working tree and at REF.")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown",
              show_default=True, help="Markdown for a PR comment, or JSON; problems are "
              "printed as text or JSON to match.")
@_guard
def diff_command(base: str | None, specs: Path, fmt: str) -> int:
    """What the change to the specs does to the rendered tree (rendered/ is not read)."""
    from generator.commands import diff as difference
    from generator.commands import gitref
    catalog = catalog_data.load()
    problems_format = "json" if fmt == "json" else "text"
    try:
        ref = base or gitref.default_base(specs)
        before = gitref.compile_at(ref, specs, catalog)
    except gitref.GitError as exc:
        _report([Diagnostic(base or str(specs), 0, 0, "", str(exc), "diff")], problems_format)
        return EXIT_PROBLEMS
    after = compile_specs([specs], "rendered", catalog)
    _report([d for d in after.diagnostics if d.severity == "error"] + before.diagnostics,
            problems_format)
    for label, outcome in ((ref, before), ("the working tree", after)):
        if outcome.tree is None or outcome.failed:
            if not outcome.bug:
                click.echo(f"infergen: the specs at {label} do not compile", err=True)
            return exit_code(outcome)
    assert before.tree is not None and after.tree is not None
    report = difference.compare(dict(before.tree), dict(after.tree), catalog, ref)
    report = difference.with_capacity(report, _capacity(ref, specs, catalog))
    click.echo(difference.as_json(report) if fmt == "json" else difference.markdown(report),
               nl=fmt == "json")
    return EXIT_OK
