"""Dump an engine's real argument parser as JSON. Runs inside a throwaway venv that has the
pinned release installed (`tools/engine_flags.py --python VENV/bin/python`), never in the
project's own: it imports the engine. Standalone on purpose (stdlib only).

The parser is built the way the engine's own entry point builds it:
- vllm: `vllm serve` = FlexibleArgumentParser + ServeSubcommand().subparser_init
  (vllm/entrypoints/cli/main.py); the CPU platform is forced, as the machine has no GPU.
- sglang: `python3 -m sglang.launch_server` = prepare_server_args: argparse.ArgumentParser
  + ServerArgs.add_cli_args (sglang/srt/server_args.py).

Usage: python argparse_dump.py vllm|sglang [--parse]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys


def _force_cpu() -> None:
    os.environ.setdefault("VLLM_TARGET_DEVICE", "cpu")
    from vllm import platforms
    from vllm.platforms.cpu import CpuPlatform

    platforms._current_platform = CpuPlatform()  # noqa: SLF001 (the lazy platform's cache)
    with contextlib.suppress(AttributeError):
        platforms.current_platform = CpuPlatform()


def vllm_serve() -> argparse.ArgumentParser:
    _force_cpu()
    from vllm.entrypoints.cli.serve import ServeSubcommand
    from vllm.utils.argparse_utils import FlexibleArgumentParser

    top = FlexibleArgumentParser(description="vLLM CLI")
    sub = top.add_subparsers(required=False, dest="subparser")
    return ServeSubcommand().subparser_init(sub)


def sglang() -> argparse.ArgumentParser:
    from sglang.srt.server_args import ServerArgs

    parser = argparse.ArgumentParser(prog="sglang serve")
    ServerArgs.add_cli_args(parser)
    return parser


BUILD = {"vllm": vllm_serve, "sglang": sglang}


def _plain(value: object) -> object:
    """A JSON-able default or choice: numbers, strings, booleans and None as they are,
    anything else as its str()."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def _takes(action: argparse.Action) -> str:
    if action.nargs == 0:
        return "flag"
    if action.nargs == "?":
        return "optional"
    return "value"


def dump(parser: argparse.ArgumentParser) -> dict[str, object]:
    options: dict[str, dict[str, object]] = {}
    for string, action in sorted(parser._option_string_actions.items()):  # noqa: SLF001
        negative = string in getattr(action, "negative_option_strings", ()) or (
            isinstance(action, argparse.BooleanOptionalAction) and string.startswith("--no-"))
        entry: dict[str, object] = {"dest": action.dest, "takes": _takes(action),
                                    "action": type(action).__name__}
        if action.nargs not in (None, 0, "?"):
            entry["nargs"] = action.nargs
        if action.type in (int, float):  # plain numbers: their spelling is checked too
            entry["type"] = action.type.__name__
        if action.choices is not None:
            entry["choices"] = sorted({str(_plain(c)) for c in action.choices})
        if isinstance(action, argparse._AppendAction | argparse._ExtendAction):  # noqa: SLF001
            entry["repeat"] = "append"
        if negative:
            entry["negative"] = True
        if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):  # noqa: SLF001
            entry["exits"] = True
        if getattr(action, "deprecated", False):
            entry["deprecated"] = True
        if action.default is not argparse.SUPPRESS:
            entry["default"] = _plain(action.default)
        options[string] = entry
    positionals = [a.dest for a in parser._actions if not a.option_strings]  # noqa: SLF001
    return {"allowAbbrev": parser.allow_abbrev, "prefixChars": parser.prefix_chars,
            "positionals": positionals, "options": options}


# What the entry point puts before the user's arguments: vllm serve's model positional,
# SGLang's required --model-path.
HEAD = {"vllm": ["serve", "org/m"], "sglang": ["--model-path", "org/m"]}


def parse_each(engine: str, lists: list[list[str]]) -> list[tuple[bool, str]]:
    """Parse each argument list with the real parser: (accepted, the parser's last words)."""
    parser = BUILD[engine]()
    head = HEAD.get(engine, [])
    if engine == "vllm":  # `vllm serve` preprocesses on the top-level parser
        parser = _vllm_top()
    found: list[tuple[bool, str]] = []
    for args in lists:
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                parser.parse_args([*head, *args])
            found.append((True, ""))
        except SystemExit:
            lines = err.getvalue().strip().splitlines()
            found.append((False, lines[-1] if lines else "exit"))
        except Exception as error:  # noqa: BLE001 (a parser's own type check raising)
            found.append((False, repr(error)[:200]))
    return found


def _vllm_top() -> argparse.ArgumentParser:
    from vllm.entrypoints.cli.serve import ServeSubcommand
    from vllm.utils.argparse_utils import FlexibleArgumentParser

    top = FlexibleArgumentParser(description="vLLM CLI")
    sub = top.add_subparsers(required=False, dest="subparser")
    ServeSubcommand().subparser_init(sub)
    return top


if __name__ == "__main__":
    if sys.argv[2:3] == ["--parse"]:  # JSON argument lists on stdin (tools/engine_cli_check.py)
        print(json.dumps(parse_each(sys.argv[1], json.load(sys.stdin))))
    else:
        print(json.dumps(dump(BUILD[sys.argv[1]]()), sort_keys=True))
