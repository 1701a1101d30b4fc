"""tools/engine_flags.py (make engine-facts) reads each engine's own parser statically; its
readers are checked here on small sources written the way the engines write theirs."""

from __future__ import annotations

import ast

from tools.engine_flags import absl_flags, clap_facts, dataclass_flags, literal_flags


def test_argparse_calls_and_their_aliases() -> None:
    groups: list[list[str]] = []
    tree = ast.parse('g.add_argument("--quantization", "-q", type=str)\n'
                     'p.add_argument("model_tag", nargs="?")\n'
                     'p.add_argument("--port", type=int)\n')
    assert literal_flags(tree, groups) == {"--quantization", "-q", "--port"}
    assert groups == [["--quantization", "-q"]]


def test_sglang_dataclass_fields() -> None:
    groups: list[list[str]] = []
    tree = ast.parse(
        "class Parallel:\n"
        "    tp_size: A[int, Arg(help='tp', aliases=['--tensor-parallel-size'])] = 1\n"
        "    host: A[str, 'The host.'] = '127.0.0.1'\n"
        "    hidden: A[bool, Arg(help='x', no_cli=True)] = False\n"
        "    renamed: A[int, Arg(help='x', cli_name='--other-name')] = 0\n"
        "    plain: int = 0\n")
    assert dataclass_flags(tree, groups) == {"--tp-size", "--tensor-parallel-size", "--host",
                                              "--other-name"}
    assert groups == [["--tensor-parallel-size", "--tp-size"]]


def test_clap_struct_fields() -> None:
    source = ('struct Args {\n'
              '    #[clap(default_value = "3000", long, short, env)]\n    port: u16,\n'
              '    #[clap(long, env, conflicts_with = "hf_api_token")]\n'
              '    hf_token: Option<String>,\n'
              '    #[clap(long, env)]\n    #[redact(partial)]\n    hf_api_token: Option<String>,\n'
              '}\n')
    flags, env, conflicts = clap_facts(source)
    assert flags == {"--port", "-p", "--hf-token", "--hf-api-token"}
    assert env == {"PORT", "HF_TOKEN", "HF_API_TOKEN"}
    assert conflicts == [["HF_API_TOKEN", "HF_TOKEN"]]


def test_absl_definitions() -> None:
    tree = ast.parse('flags.DEFINE_string("working_dir", "checkpoints", "")\n'
                     'flags.DEFINE_integer("port", 9000, "")\n')
    assert absl_flags(tree) == {"--working_dir", "--port"}
