"""Tricky server.args and server.env, read the way each pinned engine's own parser reads
them (the audit's G1-G17): what the engine refuses is an error at the spec line with the
engine's reason; what it accepts renders; a setting infergen derives for this spec is never
set again, and the same value is only redundant."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator.catalog.engine_contracts import contract, read_args
from tests.checks.test_errors_accelerators import model
from tests.errorcases import assert_fails, render

CASES = [
    # vLLM: an underscore spelling of a derived flag, --enable-X/--disable-X pairs, -O3 and a
    # dotted JSON key are read as vLLM reads them; --swap-space is gone since 0.18
    pytest.param(
        model("""
        server:
          engine: vllm
          args:
            - --max_model_len=4096
            - --enable_prefix_caching
            - --disable-log-requests
            - --disable-prefix-caching
            - -O3
            - --swap-space=4
            - --no-enable-chunked-prefill
            - --compilation-config.cudagraph_mode=PIECEWISE
        accelerator: {type: nvidia-l4}
        """),
        [
            'specs/m.yaml:11:9: error[check] spec.server.args[0]: --max_model_len in server.args '
            'sets what infergen derives (--max_model_len is another name for --max-model-len) '
            '(hint: --max-model-len is set from spec.model.maxModelLength; change that field '
            'instead)',
            'specs/m.yaml:16:9: error[check] spec.server.args[5]: --swap-space was removed in '
            'vLLM 0.18 (last in 0.17.1): vllm 0.34.0 exits on it (hint: remove it: no release '
            'since 0.18 has a CPU swap space setting)',
        ],
        [
            'specs/m.yaml:14:9: warning[check] spec.server.args[3]: --disable-prefix-caching is '
            'given twice in server.args: vllm 0.34.0 keeps the last (hint: give it once)',
        ],
        id="G1"),
    # vLLM has no --tp (only -tp): exit 2; the hint says -tp would be infergen's own setting
    pytest.param(
        model("""
        server: {engine: vllm, args: [--tp=2]}
        accelerator: {type: nvidia-l4, count: 2}
        """),
        [
            'specs/m.yaml:8:33: error[check] spec.server.args[0]: --tp is not an option of vllm '
            '0.34.0 (the engine exits on it) (hint: -tp would set --tensor-parallel-size, which '
            'infergen derives: --tensor-parallel-size is set from spec.accelerator.parallelism)',
        ],
        [],
        id="G2"),
    # -tp is --tensor-parallel-size; an abbreviation is the option; a repeat keeps the last
    pytest.param(
        model("""
        server:
          engine: vllm
          args:
            - -tp
            - "2"
            - --gpu-memory-util=0.8
            - --max-num-seqs
            - "64"
            - --max-num-seqs=128
        accelerator: {type: nvidia-l4}
        """),
        [
            'specs/m.yaml:11:9: error[check] spec.server.args[0]: -tp in server.args sets what '
            'infergen derives (-tp is another name for --tensor-parallel-size) (hint: '
            '--tensor-parallel-size is set from spec.accelerator.parallelism; change that '
            'field instead)',
        ],
        [
            'specs/m.yaml:16:9: warning[check] spec.server.args[5]: --max-num-seqs is given twice'
            ' in server.args: vllm 0.34.0 keeps the last (hint: give it once)',
        ],
        id="G3"),
    # TGI: one clap setting in server.args and server.env is a check error, never exit 3
    pytest.param(
        model("""
        model: {source: hf://google/gemma-2b-it}
        server:
          engine: tgi
          args: [--max-batch-size=32]
          env: {MAX_BATCH_SIZE: "64"}
        accelerator: {type: nvidia-l4}
        """),
        [
            'specs/m.yaml:10:27: error[check] spec.server.env.MAX_BATCH_SIZE: MAX_BATCH_SIZE in '
            'server.env and --max-batch-size in server.args are one setting: the flag silently '
            'wins (hint: give it once, in server.args or in server.env)',
        ],
        [],
        id="G7"),
    # TEI: clap conflicts_with
    pytest.param(
        model("""
        server:
          engine: tei
          args: [--default-prompt=x, --default-prompt-name=y]
        accelerator: {type: nvidia-l4}
        """),
        [
            'specs/m.yaml:10:32: error[check] spec.server.args[1]: --default-prompt-name and '
            '--default-prompt cannot be given together: tei 1.9.3 exits (clap conflicts_with) '
            '(hint: give one of them)',
        ],
        [],
        id="G8"),
    # SGLang: --no-<boolean> is accepted; an unknown option and an underscore spelling exit 2
    pytest.param(
        model("""
        server:
          engine: sglang
          args: [--nonexistent-flag, --no-enable-tf32-matmul, --context_length=4096]
        accelerator: {type: nvidia-l4}
        """),
        [
            'specs/m.yaml:10:12: error[check] spec.server.args[0]: --nonexistent-flag is not an '
            "option of sglang 0.5.23 (the engine exits on it) (hint: see sglang's own option "
            'list)',
            'specs/m.yaml:10:57: error[check] spec.server.args[2]: --context_length is not an '
            'option of sglang 0.5.23 (the engine exits on it) (hint: did you mean '
            '--context-length?)',
        ],
        [],
        id="G9"),
    # absl: --no<bool>, its own flags, --flagfile and --undefok pass; --no on a non-boolean
    # aborts
    pytest.param(
        model("""
        model: {source: hf://google/gemma-7b-it}
        server:
          engine: jetstream
          args:
            - --noenable_model_warmup
            - --enable_model_warmup=true
            - --override_batch_size=16
            - --logtostderr
            - --flagfile=/x
            - --noport
            - --undefok=foo
            - --foo=1
        accelerator: {type: tpu-v5e, topology: 2x4}
        """),
        [
            'specs/m.yaml:15:9: error[check] spec.server.args[5]: --noport: --port is not a '
            'boolean flag of jetstream jetstream-v0.2.4, so it has no --no form (absl aborts) '
            '(hint: remove it, or give --port=VALUE)',
        ],
        [
            'specs/m.yaml:11:9: warning[check] spec.server.args[1]: --enable_model_warmup is '
            'given twice in server.args: jetstream jetstream-v0.2.4 keeps the last (hint: give it'
            ' once)',
        ],
        id="G10"),
    # Triton: getopt_long takes a unique prefix (--model-repo is --model-repository); an
    # ambiguous prefix or a missing value exits 1
    pytest.param(
        model("""
        model: {source: "gs://bucket-1/repo"}
        server:
          engine: triton
          args:
            - --log-format=ISO8601
            - --model-repo=/other
            - --http-thread-count=8
            - --metrics-config=histogram_latencies=true
            - --model-
            - --allow-http
        accelerator: {type: nvidia-l4}
        """),
        [
            'specs/m.yaml:11:9: error[check] spec.server.args[1]: --model-repo in server.args '
            'sets what infergen derives (--model-repo is another name for --model-repository) '
            '(hint: --model-repository is set from spec.model.source; change that field instead)',
            'specs/m.yaml:14:9: error[check] spec.server.args[4]: --model- is ambiguous for '
            'triton 26.07 (it could be --model-config-name, --model-control-mode, '
            '--model-load-gpu-limit, --model-load-retry-count, --model-load-thread-count, '
            '--model-namespacing, ...): the engine exits (hint: spell the option out)',
            'specs/m.yaml:15:9: error[check] spec.server.args[5]: --allow-http needs a value '
            '(triton 26.07: expected one argument) (hint: give it as --allow-http=VALUE)',
        ],
        [],
        id="G11"),
    # --help prints and exits: a restart loop (vllm-tpu's own table)
    pytest.param(
        model("""
        server: {engine: vllm, args: [--help, --disable-log-stats]}
        accelerator: {type: tpu-v5e, count: 4, topology: 2x2}
        """),
        [
            'specs/m.yaml:8:33: error[check] spec.server.args[0]: --help makes vllm-tpu 0.32.0 '
            'print and exit at start, so the pod restarts forever (hint: remove it)',
        ],
        [],
        id="G12"),
    # vLLM: --no- on a non-boolean, removed flags with their successors, a value on a flag, a
    # bad choice, an ambiguous prefix, a missing value
    pytest.param(
        model("""
        server:
          engine: vllm
          args:
            - --no-seed
            - --enable-reasoning
            - --guided-decoding-backend=xgrammar
            - --enable-chunked-prefill=false
            - --task
            - embed
            - --dtype=foo
            - --max
            - "--lora-modules"
        accelerator: {type: nvidia-l4}
        """),
        [
            'specs/m.yaml:11:9: error[check] spec.server.args[0]: --no-seed: --seed is not a '
            'boolean option of vllm 0.34.0, so it has no --no- form (the engine exits) (hint: '
            'remove it, or give --seed=VALUE)',
            'specs/m.yaml:12:9: error[check] spec.server.args[1]: --enable-reasoning was removed '
            'in vLLM 0.10 (last in 0.9.2): vllm 0.34.0 exits on it (hint: use --reasoning-parser '
            'alone)',
            'specs/m.yaml:13:9: error[check] spec.server.args[2]: --guided-decoding-backend was '
            'removed in vLLM 0.11 (last in 0.10.2): vllm 0.34.0 exits on it (hint: use '
            '--structured-outputs-config.backend=NAME)',
            'specs/m.yaml:14:9: error[check] spec.server.args[3]: --enable-chunked-prefill takes '
            "no value (vllm 0.34.0: ignored explicit argument 'false') (hint: give "
            '--enable-chunked-prefill alone to set it, or --disable-chunked-prefill to unset it)',
            'specs/m.yaml:15:9: error[check] spec.server.args[4]: --task was removed in vLLM 0.13'
            ' (last in 0.12.0): vllm 0.34.0 exits on it (hint: use --runner pooling (with '
            '--convert embed, classify or reward) for a pooling model; nothing for a generative '
            'one)',
            'specs/m.yaml:17:9: error[check] spec.server.args[6]: --dtype=foo is not a choice of '
            'vllm 0.34.0 (hint: one of: auto, bfloat16, float, float16, float32, half)',
            'specs/m.yaml:18:9: error[check] spec.server.args[7]: --max is ambiguous for vllm '
            '0.34.0 (it could be --max-cpu-loras, --max-cudagraph-capture-size, --max-log-len, '
            '--max-logprobs, --max-lora-cls-labels, --max-lora-rank, ...): the engine exits '
            '(hint: spell the option out)',
            'specs/m.yaml:19:9: error[check] spec.server.args[8]: --lora-modules needs a value '
            '(vllm 0.34.0: expected one argument) (hint: give it as --lora-modules=VALUE)',
        ],
        [],
        id="G13"),
    # vLLM's and SGLang's release images are multi-arch: GB200 (arm64) renders
    pytest.param(
        model("""
        server: {engine: vllm}
        accelerator: {type: nvidia-gb200, count: 4}
        """),
        [],
        [],
        id="G14v"),
    # vLLM's and SGLang's release images are multi-arch: GB200 (arm64) renders
    pytest.param(
        model("""
        server: {engine: sglang}
        accelerator: {type: nvidia-gb200, count: 4}
        """),
        [],
        [],
        id="G14s"),
    # TGI: MAX_BATCH_PREFILL_TOKENS below MAX_INPUT_TOKENS is fine when the prefill is chunked
    pytest.param(
        model("""
        model: {source: hf://google/gemma-2b-it, maxModelLength: 4096}
        server:
          engine: tgi
          env: {MAX_BATCH_PREFILL_TOKENS: "2048", PREFILL_CHUNKING: "1"}
        accelerator: {type: nvidia-l4}
        """),
        [],
        [],
        id="G15"),
    # TGI: --cors-allow-origin appends (Vec); a value on a flag and a missing value exit 2
    pytest.param(
        model("""
        model: {source: hf://google/gemma-2b-it}
        server:
          engine: tgi
          args:
            - --cors-allow-origin=a
            - --cors-allow-origin=b
            - --json-output=true
            - --max-batch-size
        accelerator: {type: nvidia-l4}
        """),
        [
            'specs/m.yaml:12:9: error[check] spec.server.args[2]: --json-output takes no value '
            "(tgi 2.4.0: unexpected value 'true' for --json-output) (hint: give --json-output "
            'alone to set it, or leave it out)',
            'specs/m.yaml:13:9: error[check] spec.server.args[3]: --max-batch-size needs a value '
            '(tgi 2.4.0: expected one argument) (hint: give it as --max-batch-size=VALUE)',
        ],
        [],
        id="G16"),
    # a memory fraction on an unshared GPU is the user's; VLLM_* env vars vLLM no longer reads
    # are warned
    pytest.param(
        model("""
        server:
          engine: vllm
          args: [--gpu-memory-utilization=0.85]
          env: {VLLM_ATTENTION_BACKEND: FLASHINFER, VLLM_LOGGING_LEVEL: DEBUG, VLLM_NOPE: "1"}
        accelerator: {type: nvidia-l4}
        """),
        [],
        [
            'specs/m.yaml:11:35: warning[check] spec.server.env.VLLM_ATTENTION_BACKEND: '
            'VLLM_ATTENTION_BACKEND is ignored by vllm 0.34.0 (hint: removed in vLLM 0.15 (last '
            'read by 0.14.1); use --attention-backend NAME in server.args)',
            'specs/m.yaml:11:85: warning[check] spec.server.env.VLLM_NOPE: VLLM_NOPE is ignored '
            "by vllm 0.34.0 (hint: vllm 0.34.0's vllm/envs.py has no such variable)",
        ],
        id="MEM"),
    # under sharing infergen derives the memory fraction: another value is an error
    pytest.param(
        model("""
        server:
          engine: vllm
          args: [--gpu-memory-utilization=0.85]
        accelerator:
          type: nvidia-l4
          sharing: {strategy: mps, maxSharedClients: 2}
        """),
        [
            'specs/m.yaml:10:12: error[check] spec.server.args[0]: --gpu-memory-utilization in '
            'server.args sets what infergen derives (hint: --gpu-memory-utilization is set from '
            'spec.accelerator.sharing; change that field instead)',
        ],
        [],
        id="MEMSHARED"),
    # the same value as infergen's is only redundant
    pytest.param(
        model("""
        server:
          engine: vllm
          args:
            - --gpu-memory-utilization=0.45
            - --tensor-parallel-size=1
            - --dtype=bfloat16
        accelerator:
          type: nvidia-l4
          sharing: {strategy: mps, maxSharedClients: 2}
        """),
        [],
        [
            'specs/m.yaml:11:9: warning[check] spec.server.args[0]: --gpu-memory-utilization in '
            'server.args repeats what infergen renders: --gpu-memory-utilization is set from '
            'spec.accelerator.sharing (hint: redundant, remove it)',
            'specs/m.yaml:12:9: warning[check] spec.server.args[1]: --tensor-parallel-size in '
            'server.args repeats what infergen renders: --tensor-parallel-size is set from '
            'spec.accelerator.parallelism (hint: redundant, remove it)',
            'specs/m.yaml:13:9: warning[check] spec.server.args[2]: --dtype in server.args '
            'repeats what infergen renders: --dtype is set from spec.model.dtype (hint: '
            'redundant, remove it)',
        ],
        id="MEMSAME"),
    # TEI (clap) exits on a repeated option: a redundant one is warned and rendered once
    pytest.param(
        model("""
        server:
          engine: tei
          args: [--port, "8000", --json-output]
        accelerator: {type: nvidia-l4}
        """),
        [],
        [
            'specs/m.yaml:10:12: warning[check] spec.server.args[0]: --port in server.args '
            "repeats what infergen renders: --port is set by the engine's port in the catalog "
            '(probes, Service and Gateway use it) (hint: redundant, remove it)',
        ],
        id="TEIPORT"),
    # the same value as infergen's in server.env is only redundant, and rendered once
    pytest.param(
        model("""
        model: {source: hf://google/gemma-2b-it}
        server:
          engine: tgi
          env: {NUM_SHARD: "1", DTYPE: bfloat16}
        accelerator: {type: nvidia-l4}
        """),
        [],
        [
            'specs/m.yaml:9:22: warning[check] spec.server.env.NUM_SHARD: NUM_SHARD in server.env'
            ' repeats what infergen renders: NUM_SHARD is set from spec.accelerator.parallelism '
            '(hint: redundant, remove it)',
            'specs/m.yaml:9:34: warning[check] spec.server.env.DTYPE: DTYPE in server.env repeats'
            ' what infergen renders: DTYPE is set from spec.model.dtype (hint: redundant, remove '
            'it)',
        ],
        id="TGISHARD"),
    # the user's memory fraction feeds the memory-fit check
    pytest.param(
        model("""
        model: {source: hf://org/m, parameters: 8B}
        server:
          engine: sglang
          args: [--mem-fraction-static=0.5]
        accelerator: {type: nvidia-l4}
        """),
        [
            'specs/m.yaml:6:43: error[check] spec.model.parameters: 8B parameters in bfloat16 '
            'need about 19 GB of accelerator memory; 1x nvidia-l4 has 24 GB, of which '
            '--mem-fraction-static=0.5 in server.args lets the engine use 12 GB (hint: raise '
            '--mem-fraction-static, or remove it)',
        ],
        [],
        id="MEMFIT"),
]


@pytest.mark.parametrize(("text", "errors", "warnings"), CASES)
def test_the_engine_cli_as_the_engine_reads_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               text: str, errors: list[str],
                                               warnings: list[str]) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": text})
    if errors:
        assert_fails(run, errors)
    else:
        assert run.exit_code == 0, run.stderr
    # the storage warnings (a gs:// cache, an hf:// download without model.parameters) are
    # about the disk, not the CLI: tests/checks/test_errors_* hold them
    assert [w for w in run.warnings
            if "GCS FUSE" not in w and "download disk" not in w] == warnings


# Google's GKE TGI sample (kubernetes-engine-samples ai-ml/llm-serving-gemma/tgi, as the issue
# quotes it) tunes TGI's memory with CUDA_MEMORY_FRACTION on a GPU of its own.
GOOGLE_TGI_MEMORY = model("""
  model:
    source: hf://google/gemma-2b-it
    parameters: 2.5B
    tokenSecret: hf-secret
    maxModelLength: 2048
  server:
    engine: tgi
    env: {CUDA_MEMORY_FRACTION: "0.93"}
  accelerator: {type: nvidia-l4}
""")


def test_google_tgi_sample_with_its_memory_fraction_renders(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": GOOGLE_TGI_MEMORY})
    assert run.exit_code == 0, run.stderr
    assert run.warnings == []
    deployment = next(yaml.safe_load(p.read_text()) for p in (tmp_path / "rendered").rglob(
        "deployment.yaml"))
    env = {e["name"]: e.get("value") for e in
           deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["CUDA_MEMORY_FRACTION"] == "0.93"


# Google's JetStream PyTorch sample passes --quantize_weights=False next to bfloat16 weights.
GOOGLE_JETSTREAM = model("""
  model: {source: hf://google/gemma-7b-it, parameters: 8.5B, dtype: bfloat16}
  server:
    engine: jetstream
    args: [--quantize_weights=False, --override_batch_size=30, --enable_model_warmup=True]
  accelerator: {type: tpu-v5e, topology: 2x4}
""")


def test_google_jetstream_sample_renders_with_a_redundant_flag(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": GOOGLE_JETSTREAM})
    assert run.exit_code == 0, run.stderr
    assert run.warnings == [
        "specs/m.yaml:9:12: warning[check] spec.server.args[0]: --quantize_weights in "
        "server.args repeats what infergen renders: --quantize_weights is set from "
        "spec.model.dtype (hint: redundant, remove it)"]


def test_a_contradicting_value_names_the_owning_field(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = GOOGLE_JETSTREAM.replace("--quantize_weights=False", "--quantize_weights=True")
    assert_fails(render(tmp_path, monkeypatch, {"m.yaml": text}), [
        "specs/m.yaml:9:12: error[check] spec.server.args[0]: --quantize_weights in "
        "server.args sets what infergen derives (hint: --quantize_weights is set from "
        "spec.model.dtype; change that field instead)"])


@pytest.mark.parametrize(("engine", "args", "problem"), [
    ("vllm", ["--max-num-seqs=abc"], "--max-num-seqs=abc is not an int (vllm 0.34.0: invalid "
     "int value)"),
    ("sglang", ["--mem-fraction-static", "most"], "--mem-fraction-static=most is not a float "
     "(sglang 0.5.23: invalid float value)"),
])
def test_a_plain_number_is_read_as_the_parser_reads_it(engine: str, args: list[str],
                                                       problem: str) -> None:
    terms = contract(engine)
    assert terms is not None
    [given] = read_args(terms, args)
    assert given.problem is not None and given.problem[0] == problem


def test_a_clap_env_value_is_checked_as_its_flag_would_be(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = model("""
      server:
        engine: tei
        env: {POOLING: average}
      accelerator: {type: nvidia-l4}
    """)
    assert_fails(render(tmp_path, monkeypatch, {"m.yaml": text}), [
        "specs/m.yaml:10:20: error[check] spec.server.env.POOLING: POOLING=average is not a "
        "choice of tei 1.9.3 (it exits) (hint: one of: cls, last-token, mean, splade)"])


@pytest.mark.parametrize(("engine", "args", "read"), [
    # argparse allow_abbrev: a unique prefix is the option, -O3 and -O 3 the optimization level
    ("vllm", ["--max-num-batched=8", "-O", "3", "-O2"],
     [("max_num_batched_tokens", "8"), ("optimization_level", "3"),
      ("optimization_level", "2")]),
    # the value of an option is never read as an option, even a negative number
    ("vllm", ["--seed", "-1", "--lora-modules", "a=x", "b=y"],
     [("seed", "-1"), ("lora_modules", "a=x b=y")]),
    # getopt_long: a prefix shared by one option's two names (model-store, model-repository)
    ("triton", ["--model-re=/a", "--model-st", "/b", "--exit-on-error", "--x"],
     [("OPTION_MODEL_REPOSITORY", "/a"), ("OPTION_MODEL_REPOSITORY", "/b"),
      ("OPTION_EXIT_ON_ERROR", "--x")]),
    # absl: -name is --name; --undefok lets an unknown flag pass
    ("jetstream", ["-port=1", "--undefok=later", "--later=2", "--nolater"],
     [("port", "1"), ("undefok", "later"), (None, "2"), (None, None)]),
    # clap: a flag and its short form are one setting
    ("tgi", ["-p", "9000", "--port=9001"], [("PORT", "9000"), ("PORT", "9001")]),
])
def test_read_args_follows_the_engines_parser(engine: str, args: list[str],
                                              read: list[tuple[str | None, str | None]]) -> None:
    terms = contract(engine)
    assert terms is not None
    found = read_args(terms, args)
    assert [(g.option.dest if g.option else None, g.value) for g in found] == read
    assert all(g.problem is None for g in found), found


def test_the_tpu_backend_reads_vllm_env_vars_of_its_own() -> None:
    """tpu-inference (in the vllm-tpu image) reads VLLM_TPU_BUCKET_PADDING_GAP, which vLLM's
    own envs.py dropped in 0.26: no "ignored" warning on TPU, one on GPU."""
    tpu, gpu = contract("vllm-tpu"), contract("vllm")
    assert tpu is not None and gpu is not None
    assert "VLLM_TPU_BUCKET_PADDING_GAP" in tpu.env_reads
    assert "VLLM_TPU_BUCKET_PADDING_GAP" not in gpu.env_reads
    assert gpu.removed_env["VLLM_TPU_BUCKET_PADDING_GAP"]["lastIn"] == "0.25.1"


# Issue 20: infergen owns a setting only when this spec's render derives it, or a field
# expresses it; a default no field can change is the user's to replace.
@pytest.mark.parametrize(("body", "errors"), [
    # a pre-quantized checkpoint's method: no field names it, infergen renders none
    ("""
     model: {source: hf://org/m-awq, parameters: 8B, dtype: int4, preQuantized: true}
     server: {engine: vllm, args: [--quantization=awq]}
     accelerator: {type: nvidia-l4}
     """, []),
    ("""
     model: {source: hf://org/m-awq, parameters: 8B, dtype: int4, preQuantized: true}
     server: {engine: sglang, args: [--quantization=awq]}
     accelerator: {type: nvidia-l4}
     """, []),
    # a full-precision checkpoint: dtype expresses the quantization
    ("""
     model: {source: hf://org/m, parameters: 8B}
     server: {engine: vllm, args: [--quantization=fp8]}
     accelerator: {type: nvidia-l4}
     """, ["specs/m.yaml:7:33: error[check] spec.server.args[0]: --quantization in server.args "
           "sets what infergen derives (hint: --quantization is set from spec.model.dtype; "
           "change that field instead)"]),
    # LoRA limits without adapters are no field's; the adapters themselves are
    ("""
     model: {source: hf://org/m, parameters: 8B}
     server: {engine: vllm, args: [--enable-lora, --max-loras=4, --max-lora-rank=64]}
     accelerator: {type: nvidia-l4}
     """, []),
    ("""
     model: {source: hf://org/m, parameters: 8B}
     server: {engine: vllm, args: [--lora-modules=a=org/a]}
     accelerator: {type: nvidia-l4}
     """, ["specs/m.yaml:7:33: error[check] spec.server.args[0]: --lora-modules in server.args "
           "sets what infergen derives (hint: --lora-modules is set from spec.model.adapters; "
           "change that field instead)"]),
    # TGI's input limit above the one maxModelLength allows: TGI exits
    ("""
     model: {source: hf://org/m, parameters: 8B, maxModelLength: 2048}
     server: {engine: tgi, env: {MAX_INPUT_LENGTH: "4000"}}
     accelerator: {type: nvidia-l4}
     """, ["specs/m.yaml:7:49: error[check] spec.server.env.MAX_INPUT_LENGTH: MAX_INPUT_LENGTH "
           "in server.env sets what infergen derives (MAX_INPUT_LENGTH is another name for "
           "MAX_INPUT_TOKENS) (hint: MAX_INPUT_TOKENS is set from spec.model.maxModelLength; "
           "change that field instead)"]),
])
def test_infergen_owns_only_what_this_render_derives(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, errors: list[str]) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": model(body)})
    if errors:
        assert_fails(run, errors)
    else:
        assert run.exit_code == 0 and run.warnings == [], run.stderr


def _engine_env(tmp_path: Path) -> dict[str, str | None]:
    deployment = next(yaml.safe_load(p.read_text()) for p in (tmp_path / "rendered").rglob(
        "deployment.yaml"))
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    names = [e["name"] for e in env]
    assert len(names) == len(set(names)), names
    return {e["name"]: e.get("value") for e in env}


@pytest.mark.parametrize(("body", "given", "dropped"), [
    # Google's TGI samples: a lower input limit replaces the derived one (TGI exits when
    # both of its names are set)
    ("""
     model: {source: hf://org/m, parameters: 8B, maxModelLength: 2048}
     server: {engine: tgi, env: {MAX_INPUT_LENGTH: "1562"}}
     accelerator: {type: nvidia-l4}
     """, ("MAX_INPUT_LENGTH", "1562"), "MAX_INPUT_TOKENS"),
    # Google's vLLM-on-TPU sample: the XLA cache path is only infergen's default
    ("""
     model: {source: hf://org/m, parameters: 8B}
     server: {engine: vllm, env: {VLLM_XLA_CACHE_PATH: /data}}
     accelerator: {type: tpu-v6e, topology: 2x2}
     """, ("VLLM_XLA_CACHE_PATH", "/data"), None),
])
def test_the_users_value_replaces_a_default_no_field_sets(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str,
        given: tuple[str, str], dropped: str | None) -> None:
    run = render(tmp_path, monkeypatch, {"m.yaml": model(body)})
    assert run.exit_code == 0 and run.warnings == [], run.stderr
    env = _engine_env(tmp_path)
    assert env[given[0]] == given[1]
    assert dropped is None or dropped not in env
