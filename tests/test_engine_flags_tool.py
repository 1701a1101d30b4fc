"""tools/engine_flags.py (make engine-facts) turns each engine's own parser into an option
table; its readers are checked here on small sources written the way the engines write
theirs, and the argparse dumper on a real argparse parser."""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

from tools.argparse_dump import dump
from tools.engine_flags import absl_table, clap_table, env_reads, getopt_table, history

CLAP = '''
struct Args {
    #[clap(default_value = "3000", long, short, env)]
    port: u16,
    #[clap(long, env, conflicts_with = "hf_api_token")]
    hf_token: Option<String>,
    #[clap(long, env)]
    #[redact(partial)]
    hf_api_token: Option<String>,
    #[clap(long, env)]
    json_output: bool,
    #[clap(long, env)]
    cors_allow_origin: Vec<String>,
    #[clap(long, env, value_enum)]
    dtype: Option<Dtype>,
    #[clap(long, env, default_value = "true", num_args = 0..=1, default_missing_value = "true")]
    auto_truncate: bool,
}
'''

ENUM = '''
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Dtype {
    Float16,
    #[clap(name = "bfloat16")]
    BFloat16,
    BitsandbytesNf4,
}
'''


def test_clap_struct_fields() -> None:
    options, conflicts = clap_table(CLAP, [ENUM])
    assert options["--port"] == {"dest": "PORT", "takes": "value", "repeat": "error",
                                 "env": "PORT", "default": "3000"}
    assert options["-p"]["dest"] == "PORT"
    assert options["--json-output"]["takes"] == "flag"          # bool: ArgAction::SetTrue
    assert options["--cors-allow-origin"]["repeat"] == "append"  # Vec: ArgAction::Append
    assert options["--dtype"]["choices"] == ["bfloat16", "bitsandbytes-nf4", "float16"]
    assert options["--auto-truncate"]["takes"] == "optional"
    assert options["--help"]["exits"] and "--version" not in options
    assert conflicts == [["HF_API_TOKEN", "HF_TOKEN"]]


def test_triton_option_table() -> None:
    source = '''
      global_options_.push_back(
          {OPTION_HELP, "help", Option::ArgNone, "Print usage"});
      model_repo_options_.push_back(
          {OPTION_MODEL_REPOSITORY, "model-store", Option::ArgStr, "Equivalent."});
      rate_limiter_options_.push_back(
          // FIXME: a comment before the option
          {OPTION_RATE_LIMIT, "rate-limit", Option::ArgStr, "The mode."});
      metric_options_.push_back(
          {OPTION_METRICS_CONFIG, "metrics-config", "<string>=<string>",
           "Specify a metrics-specific configuration setting."});
    '''
    assert getopt_table(source) == {
        "--help": {"dest": "OPTION_HELP", "takes": "flag", "type": "ArgNone", "exits": True},
        "--model-store": {"dest": "OPTION_MODEL_REPOSITORY", "takes": "value",
                          "type": "ArgStr"},
        "--rate-limit": {"dest": "OPTION_RATE_LIMIT", "takes": "value", "type": "ArgStr"},
        "--metrics-config": {"dest": "OPTION_METRICS_CONFIG", "takes": "value",
                             "format": "<string>=<string>"}}


def test_absl_definitions() -> None:
    tree = ast.parse('flags.DEFINE_string("working_dir", "checkpoints", "")\n'
                     'flags.DEFINE_bool("quantize_weights", False, "")\n'
                     'flags.DEFINE_bool("internal_use_local_tokenizer", 0, "")\n'
                     'flags.DEFINE_multi_string("x", [], "")\n')
    table = absl_table(tree)
    assert table["--working_dir"] == {"dest": "working_dir", "takes": "value", "type": "string",
                                      "default": "checkpoints"}
    assert table["--quantize_weights"]["takes"] == "flag"
    assert table["--internal_use_local_tokenizer"]["default"] is False
    assert table["--x"]["repeat"] == "append"


def test_argparse_dump_reads_every_option_string() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enable-x", action=argparse.BooleanOptionalAction)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--mode", choices=["a", "b"])
    parser.add_argument("--module", nargs="+", action="append")
    parser.add_argument("model_tag", nargs="?")
    table = dump(parser)
    options = table["options"]
    assert isinstance(options, dict)
    assert options["--no-enable-x"] == {"dest": "enable_x", "takes": "flag", "negative": True,
                                        "action": "BooleanOptionalAction", "default": None}
    assert options["--port"]["default"] == 8000 and options["--port"]["takes"] == "value"
    assert options["--mode"]["choices"] == ["a", "b"]
    assert options["--module"]["repeat"] == "append" and options["--module"]["nargs"] == "+"
    assert options["-h"]["exits"] and table["positionals"] == ["model_tag"]


def test_removed_flags_are_the_history_diff(tmp_path: Path) -> None:
    for version, flags, env in (("0.9.2", ["--swap-space", "--task"], ["VLLM_A", "VLLM_B"]),
                                ("0.10.2", ["--task"], ["VLLM_A"]),
                                ("0.18.1", [], ["VLLM_A"])):
        (tmp_path / version / "vllm/engine").mkdir(parents=True)
        (tmp_path / version / "vllm/engine/arg_utils.py").write_text(
            "".join(f'p.add_argument("{f}")\n' for f in flags))
        (tmp_path / version / "vllm/envs.py").write_text(
            "environment_variables = {\n" + "".join(f'    "{e}": 1,\n' for e in env) + "}\n")
    found = history(tmp_path, {"version": "0.18.1", "options": {}, "envReads": ["VLLM_A"]})
    swap = found["flags"]["--swap-space"]
    assert (swap["lastIn"], swap["removedIn"]) == ("0.9.2", "0.10.2") and swap["source"]
    assert found["flags"]["--task"]["removedIn"] == "0.18.1"
    assert found["flags"]["--task"]["successor"].startswith("--runner pooling")
    assert found["env"] == {"VLLM_B": {"lastIn": "0.9.2", "removedIn": "0.10.2"}}
    assert found["source"]["releases"] == ["0.9.2", "0.10.2", "0.18.1"]


def test_vllm_env_table() -> None:
    text = ('x = os.getenv("VLLM_NOT_IN_TABLE")\nenvironment_variables = {\n'
            '    "VLLM_HOST_IP": lambda: 1,\n    "VLLM_PORT": lambda: 2,\n}\n')
    assert env_reads(text) == ["VLLM_HOST_IP", "VLLM_PORT"]
