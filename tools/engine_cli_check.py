"""Check infergen's reading of server.args (engine_contracts.read_args) against the engine's
real parser, after `make engine-facts`: every option of the table alone, with `=1`, with a
value, and the audit's tricky lists, parsed by both. Prints the agreement and each
disagreement; a parser's own value-type error (a JSON config given `1`) is expected, as
infergen does not model value types. Needs the engine's venv (tools/engine_venv.sh).

Usage: python -m tools.engine_cli_check --engine vllm --python /tmp/engines/vllm-0.34.0/bin/python
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from generator.catalog.engine_contracts import contract, read_args

DUMP = Path(__file__).resolve().parent / "argparse_dump.py"
TRICKY = [["--tp=2"], ["--no-seed"], ["--swap-space=4"], ["--max", "1"], ["-O3"], ["-O", "3"],
          ["--max_num_seqs=4"], ["--gpu-memory-util=0.8"], ["stray"], ["--nonexistent-flag"],
          ["--context_length=4096"], ["--enable-chunked-prefill=false"], ["--seed", "-1"],
          ["--max-num-seqs=abc"], ["--seed", "1.5"], ["--tp-size=two"], ["--mem-fraction-static=x"]]


def cases(engine: str) -> list[list[str]]:
    terms = contract(engine)
    assert terms is not None
    found: list[list[str]] = []
    for name, option in sorted(terms.options.items()):
        if option.exits:
            continue
        found += [[name], [f"{name}=1"]]
        if option.takes != "flag":
            default = option.default
            value = (option.choices[0] if option.choices else
                     str(default) if isinstance(default, int | float | str)
                     and not isinstance(default, bool) and default != "" else "1")
            found.append([name, value])
    return found + TRICKY


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--engine", required=True, choices=["vllm", "sglang"])
    parser.add_argument("--python", type=Path, required=True)
    args = parser.parse_args(argv)
    terms = contract(args.engine)
    assert terms is not None
    lists = cases(args.engine)
    out = subprocess.run([str(args.python), str(DUMP), args.engine, "--parse"],
                         input=json.dumps(lists), capture_output=True, text=True, check=True)
    real = json.loads(out.stdout.strip().splitlines()[-1])
    disagree = [(given, why) for given, (accepted, why) in zip(lists, real, strict=True)
                if accepted != all(g.problem is None for g in read_args(terms, given))]
    print(f"{args.engine} {terms.version}: {len(lists)} argument lists, "
          f"{len(lists) - len(disagree)} agree, {len(disagree)} disagree")
    for given, why in disagree:
        print(f"  {given}: the engine says {why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
