#!/bin/bash
# The files that register `vllm serve`'s options and read VLLM_* env, of each vLLM release
# named, unzipped from its PyPI wheel into ${ENGINES:-/tmp/engines}/vllm-history/<version>/
# (the wheel is deleted after): tools/engine_flags.py --history diffs them into
# generator/catalog/contracts/vllm-removed.yaml. The Makefile's list: the last release of
# each minor line from 0.6 to the pin.
set -e
cd "${ENGINES:-/tmp/engines}" && mkdir -p vllm-history && cd vllm-history
for v in "$@"; do
  [ -d "$v" ] && continue
  mkdir -p "dl-$v" && pip download "vllm==$v" --no-deps --only-binary :all: -q -d "dl-$v"
  w=$(ls "dl-$v"/*.whl | head -1)
  mkdir -p "$v" && (cd "$v" && unzip -q -o "../$w" 'vllm/engine/arg_utils.py' \
    'vllm/entrypoints/*cli_args.py' 'vllm/entrypoints/*/cli_args.py' 'vllm/envs.py' || true)
  basename "$w" > "$v/WHEEL"; rm -rf "dl-$v"; echo "ok $v"
done
